package certificate

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestRenewalTime_JitterIsDeterministicBoundedAndSpread(t *testing.T) {
	nb := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	na := nb.Add(90 * 24 * time.Hour)
	spec := Spec{}
	rb := RenewBefore(na.Sub(nb), &spec)
	seen := map[time.Time]int{}
	for i := 0; i < 1000; i++ {
		key := fmt.Sprintf("ns/cert-%d", i)
		rt := RenewalTime(nb, na, &spec, key)
		assert.Equal(t, rt, RenewalTime(nb, na, &spec, key), "same key, same time")
		latest := na.Add(-rb)
		assert.False(t, rt.After(latest), "jitter only moves renewal earlier")
		assert.True(t, rt.After(latest.Add(-maxJitter)), "jitter stays under an hour")
		seen[rt.Truncate(time.Second)]++
	}
	// 1000 keys hashed into 3600 seconds: about 870 distinct seconds is the
	// birthday bound; a broken jitter would collapse them to a few.
	assert.Greater(t, len(seen), 800, "certificates issued together spread their renewals")
	for sec, n := range seen {
		assert.LessOrEqual(t, n, 5, "too many renewals in second %s", sec)
	}
}

func TestJitter_StaysInsideItsWindow(t *testing.T) {
	for _, rb := range []time.Duration{0, time.Nanosecond, time.Minute, 10 * time.Minute, 30 * time.Hour} {
		j := jitterIn("ns/x", min(rb/10, maxJitter))
		assert.GreaterOrEqual(t, j, time.Duration(0))
		if rb > 0 {
			assert.Less(t, j, max(min(rb/10, maxJitter), 1), "rb=%s", rb)
		}
	}
}

func TestBackoff_Schedule(t *testing.T) {
	tests := []struct {
		n    int
		want time.Duration
	}{
		{0, time.Hour}, {1, time.Hour}, {2, 2 * time.Hour}, {3, 4 * time.Hour}, {4, 8 * time.Hour},
		{5, 16 * time.Hour}, {6, 32 * time.Hour}, {7, 32 * time.Hour}, {100, 32 * time.Hour},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Backoff(tt.n, time.Hour, 32*time.Hour), "attempt %d", tt.n)
	}
	assert.Equal(t, 5*time.Minute, Backoff(4, time.Minute, 5*time.Minute), "capped at max")
}
