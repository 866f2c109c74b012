package certflow

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

// TestTimerHeap_TimesOutsideKeyRange: keys reach about 292 years either
// side of the heap's base; a visit scheduled past that (a certificate
// valid until 9999 renews after it) is kept at the end of the range, never
// due before then and after every other visit; one before it (1500) is due
// at once, first; times at the range's ends are kept exactly, and so are
// nanoseconds.
func TestTimerHeap_TimesOutsideKeyRange(t *testing.T) {
	th := newTimerHeap()
	ref := func(name string) meta.Ref { return meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: name} }
	now := time.Date(2026, 12, 2, 5, 0, 0, 0, time.UTC)
	far := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	long := time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC)
	end, start := th.axis.time(math.MaxInt64), th.axis.time(math.MinInt64)
	require.True(t, end.After(time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)), "the range ends after 2300: %v", end)
	require.True(t, start.Before(time.Date(1750, 1, 1, 0, 0, 0, 0, time.UTC)), "the range starts before 1750: %v", start)
	soon := now.Add(time.Nanosecond)
	th.Schedule(ref("far"), far)
	th.Schedule(ref("last"), end)
	th.Schedule(ref("long-ago"), long)
	th.Schedule(ref("first"), start)
	th.Schedule(ref("now"), now)
	th.Schedule(ref("soon"), soon)

	at, ok := th.Scheduled(ref("far"))
	require.True(t, ok)
	assert.True(t, at.Equal(end), "kept at the range's end: %v", at)
	at, _ = th.Scheduled(ref("long-ago"))
	assert.True(t, at.Equal(start), "kept at the range's start: %v", at)
	at, _ = th.Scheduled(ref("last"))
	assert.True(t, at.Equal(end))
	at, _ = th.Scheduled(ref("soon"))
	assert.True(t, at.Equal(soon), "nanoseconds kept: %v", at)

	due, next := th.popDue(now)
	require.Len(t, due, 3)
	assert.ElementsMatch(t, []meta.Ref{ref("long-ago"), ref("first")}, due[:2], "before the range: due first")
	assert.Equal(t, ref("now"), due[2])
	assert.True(t, next.Equal(soon), "next %v", next)
	th.firing = false

	due, next = th.popDue(end.Add(-time.Nanosecond))
	assert.Equal(t, []meta.Ref{ref("soon")}, due, "past the range: due only at its end")
	assert.True(t, next.Equal(end))
	th.firing = false
	due, next = th.popDue(far)
	assert.ElementsMatch(t, []meta.Ref{ref("far"), ref("last")}, due)
	assert.True(t, next.IsZero())
}
