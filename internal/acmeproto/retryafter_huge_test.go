package acmeproto

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// A delay-seconds too long for a time.Duration is a long wait, never a
// short one: multiplied by a second as it stands it wraps around, so a CA
// (or a proxy in front of it) answering 18446744074 seconds would be polled
// again after 290ms, and 20211507185753197 after 512ns — a tight loop
// against a CA that asked for the opposite. It saturates as a far HTTP-date
// does.
func TestParseRetryAfterTooLongSaturates(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	const forever = time.Duration(math.MaxInt64)
	for _, in := range []string{
		"9223372037",        // just past the longest Duration: wrapped negative
		"18446744074",       // wrapped to 290ms
		"20211507185753197", // wrapped to 512ns
		"9223372036854775807",
	} {
		got, ok := ParseRetryAfter(in, now)
		assert.True(t, ok, "%q", in)
		assert.Equal(t, forever, got, "%q", in)
	}
	// The longest delay that fits is read as it is.
	got, ok := ParseRetryAfter("9223372036", now)
	assert.True(t, ok)
	assert.Equal(t, 9223372036*time.Second, got)
	// A far HTTP-date already saturated: the two forms agree.
	got, ok = ParseRetryAfter("Fri, 31 Dec 9999 23:59:59 GMT", now)
	assert.True(t, ok)
	assert.Equal(t, forever, got)
	// Past int64 altogether is malformed to strconv, as before: no hint.
	_, ok = ParseRetryAfter("99999999999999999999", now)
	assert.False(t, ok)
}
