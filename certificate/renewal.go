package certificate

import (
	"hash/fnv"
	"math"
	"time"
)

// maxJitter bounds the per-certificate spread of renewal times.
const maxJitter = time.Hour

// RenewalTime returns when a certificate valid from notBefore to notAfter
// should be renewed: RenewBefore before notAfter, truncated to the second as
// cert-manager's pki.RenewalTime does — then moved earlier by a
// deterministic jitter derived from key (an empty key means none), so
// certificates issued together do not renew together.
//
// The result always lies strictly inside the validity (notBefore <
// renewalTime < notAfter) when the validity is not empty: the jitter is at
// most a tenth of the time between notBefore and the unjittered renewal
// time, so a short certificate with a long renewBefore (1h with 59m) is
// never due the moment it is issued.
//
// This is cert-manager's rule at every lifetime; the Manager schedules
// with ScheduleRenewal, which renews short-lived leaves at half-life.
func RenewalTime(notBefore, notAfter time.Time, spec *Spec, key string) time.Time {
	return renewalAt(notBefore, notAfter, RenewBefore(notAfter.Sub(notBefore), spec), key)
}

// renewalAt is RenewalTime for a renewBefore already chosen.
func renewalAt(notBefore, notAfter time.Time, renewBefore time.Duration, key string) time.Time {
	lifetime := notAfter.Sub(notBefore)
	if lifetime <= 0 {
		return notAfter
	}
	base := notAfter.Add(-renewBefore)
	if !base.Before(notAfter) || !base.After(notBefore) {
		// Only for lifetimes of a few nanoseconds.
		base = notBefore.Add(lifetime / 2)
	}
	var j time.Duration
	if key != "" {
		j = jitterIn(key, min(renewBefore/10, maxJitter, base.Sub(notBefore)/10))
	}
	rt := base.Truncate(time.Second).Add(-j)
	if !rt.After(notBefore) {
		return base
	}
	return rt
}

// RenewBefore returns how long before expiry a certificate of the given
// lifetime is renewed, as cert-manager's desiredRenewalTime (v1.21.1): a
// positive renewBefore shorter than the lifetime; else renewBeforePercentage
// of the lifetime when it lies in (0, 100); else a third of the lifetime.
func RenewBefore(lifetime time.Duration, spec *Spec) time.Duration {
	if d, _, ok := specRenewBefore(lifetime, spec); ok {
		return d
	}
	return lifetime / 3
}

// specRenewBefore is the renewBefore the spec asks for at this lifetime and
// the field that asks it; false when neither field applies (unset or out of
// range), where cert-manager falls back to its default.
func specRenewBefore(lifetime time.Duration, spec *Spec) (time.Duration, RenewalBasis, bool) {
	switch {
	case spec.RenewBefore != nil && spec.RenewBefore.Duration > 0 && spec.RenewBefore.Duration < lifetime:
		return spec.RenewBefore.Duration, RenewalBasisRenewBefore, true
	case spec.RenewBeforePercentage != nil && *spec.RenewBeforePercentage > 0 && *spec.RenewBeforePercentage < 100:
		// In float64: lifetime × pct overflows int64 for long lifetimes.
		return time.Duration(float64(lifetime) * float64(*spec.RenewBeforePercentage) / 100), RenewalBasisRenewBeforePercentage, true
	}
	return 0, "", false
}

// jitterIn hashes key into [0, window): whole seconds when the window is at
// least a second, so a renewal time truncated to the second stays so.
func jitterIn(key string, window time.Duration) time.Duration {
	if window <= 0 {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	sum := h.Sum64()
	if window >= time.Second {
		return time.Duration(sum%uint64(window/time.Second)) * time.Second
	}
	return time.Duration(sum % uint64(window))
}

// Backoff returns how long to wait after failed issuances, as cert-manager's
// trigger controller computes it (shouldBackoffReissuingOnFailure,
// v1.21.1): minDelay·2^(n−1) capped at maxDelay, never below minDelay; n ≤ 0
// (a failure recorded without a count) waits minDelay.
func Backoff(n int, minDelay, maxDelay time.Duration) time.Duration {
	if minDelay <= 0 {
		return 0
	}
	d := minDelay
	if n > 0 {
		f := float64(minDelay) * math.Pow(2, float64(n-1))
		if f > float64(maxDelay) || f > math.MaxInt64 {
			d = maxDelay
		} else {
			d = time.Duration(f)
		}
	}
	return max(d, minDelay)
}
