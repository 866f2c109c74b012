package certificate

import (
	"hash/fnv"
	"time"
)

// maxJitter bounds the per-certificate spread of renewal times.
const maxJitter = time.Hour

// RenewalTime returns when a certificate valid from notBefore to notAfter
// should be renewed: renewBefore if set and shorter than the lifetime, else
// lifetime × renewBeforePercentage/100, else lifetime/3 before notAfter —
// then moved earlier by a deterministic jitter in [0, min(renewBefore/10, 1h))
// derived from key, so certificates issued together do not renew together.
func RenewalTime(notBefore, notAfter time.Time, spec *Spec, key string) time.Time {
	rb := RenewBefore(notAfter.Sub(notBefore), spec)
	return notAfter.Add(-rb - Jitter(key, rb))
}

// RenewBefore returns how long before expiry a certificate of the given
// lifetime is renewed.
func RenewBefore(lifetime time.Duration, spec *Spec) time.Duration {
	switch {
	case spec.RenewBefore != nil && spec.RenewBefore.Duration < lifetime:
		return spec.RenewBefore.Duration
	case spec.RenewBeforePercentage != nil:
		return time.Duration(int64(lifetime) / 100 * int64(*spec.RenewBeforePercentage))
	}
	return lifetime / 3
}

// Jitter is the deterministic offset for key within [0, min(renewBefore/10, 1h)).
func Jitter(key string, renewBefore time.Duration) time.Duration {
	window := min(renewBefore/10, maxJitter)
	if window <= 0 {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	return time.Duration(h.Sum64() % uint64(window))
}

// Backoff returns how long to wait after the n-th consecutive failed
// issuance: min, 2·min, 4·min, … capped at max.
func Backoff(n int, minDelay, maxDelay time.Duration) time.Duration {
	if n <= 0 {
		return 0
	}
	d := minDelay
	for i := 1; i < n; i++ {
		if d >= maxDelay/2 {
			return maxDelay
		}
		d *= 2
	}
	return min(d, maxDelay)
}
