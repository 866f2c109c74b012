package acmeproto

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ParseRetryAfter returns the wait a Retry-After value asks for: delay-seconds, or an
// HTTP date relative to now (a past date means no wait). Either saturates
// at the longest Duration. ok is false for an empty or malformed value.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0, false
		}
		if int64(n) > math.MaxInt64/int64(time.Second) {
			// Too long for a Duration: a long wait, as a far date is,
			// never the short one the product would wrap around to.
			return time.Duration(math.MaxInt64), true
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}
