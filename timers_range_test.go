package certflow

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

// TestTimerHeap_TimesOutsideNanosecondRange: a visit scheduled past 2262
// (a certificate valid until 9999 renews after it) is kept at the end of
// the range, never due before then and after every other visit; one
// before 1678 is due at once, first; times at the range's ends are kept
// exactly, and so are nanoseconds.
func TestTimerHeap_TimesOutsideNanosecondRange(t *testing.T) {
	th := newTimerHeap()
	ref := func(name string) meta.Ref { return meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: name} }
	now := time.Date(2026, 12, 2, 5, 0, 0, 0, time.UTC)
	far := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	long := time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC)
	soon := now.Add(time.Nanosecond)
	th.Schedule(ref("far"), far)
	th.Schedule(ref("last"), timerMax)
	th.Schedule(ref("long-ago"), long)
	th.Schedule(ref("first"), timerMin)
	th.Schedule(ref("now"), now)
	th.Schedule(ref("soon"), soon)

	at, ok := th.Scheduled(ref("far"))
	require.True(t, ok)
	assert.True(t, at.Equal(timerMax), "kept at the range's end: %v", at)
	at, _ = th.Scheduled(ref("long-ago"))
	assert.True(t, at.Equal(timerMin), "kept at the range's start: %v", at)
	at, _ = th.Scheduled(ref("last"))
	assert.True(t, at.Equal(timerMax))
	at, _ = th.Scheduled(ref("soon"))
	assert.True(t, at.Equal(soon), "nanoseconds kept: %v", at)

	due, next := th.popDue(now)
	require.Len(t, due, 3)
	assert.ElementsMatch(t, []meta.Ref{ref("long-ago"), ref("first")}, due[:2], "before 1678: due first")
	assert.Equal(t, ref("now"), due[2])
	assert.True(t, next.Equal(soon), "next %v", next)
	th.firing = false

	due, next = th.popDue(timerMax.Add(-time.Nanosecond))
	assert.Equal(t, []meta.Ref{ref("soon")}, due, "past 2262: due only at the range's end")
	assert.True(t, next.Equal(timerMax))
	th.firing = false
	due, next = th.popDue(far)
	assert.ElementsMatch(t, []meta.Ref{ref("far"), ref("last")}, due)
	assert.True(t, next.IsZero())
}
