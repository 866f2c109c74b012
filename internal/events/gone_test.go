package events

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/memory"
)

// The events of a deleted object still waiting are not written (they
// would be collected at once), nor counted lost; the others' are written,
// each occurrence counted once, and the object's later events are written
// again (the Manager collects those).
func TestWriter_AGoneObjectsWaitingEventsAreNotWritten(t *testing.T) {
	ctx := testrig.Context(t)
	clk := clock.NewFake(epoch)
	raw := memory.New(memory.WithClock(clk))
	w := newWriter(t, raw, clk, func(o *Options) { o.Window = time.Hour })
	runWriter(t, ctx, w)
	ch := meta.Ref{Kind: meta.KindChallenge, Namespace: "default", Name: "web-1-1"}
	w.Record(web, meta.EventNormal, "Requested", "requested")
	w.Record(ch, meta.EventNormal, "Presented", "presented")
	w.Record(web, meta.EventNormal, "Requested", "requested")
	w.Record(ch, meta.EventNormal, "CleanedUp", "cleaned up")
	w.Record(web, meta.EventNormal, "Issued", "issued")
	w.Gone(ch, w.Mark())
	assert.Equal(t, 2, w.Pending())
	require.NoError(t, w.Sync(ctx))
	assert.Empty(t, stored(t, raw, ch, clk))
	counts := map[meta.Reason]int32{}
	for _, e := range stored(t, raw, web, clk) {
		counts[e.Reason] = e.Count
	}
	assert.Equal(t, map[meta.Reason]int32{"Requested": 2, "Issued": 1}, counts)
	assert.Zero(t, w.Dropped())

	w.Record(ch, meta.EventNormal, "CleanedUp", "cleaned up")
	require.NoError(t, w.Sync(ctx))
	assert.Len(t, stored(t, raw, ch, clk), 1, "recorded after Gone: written")
}

// A writer whose only waiting events were a gone object's is quiet.
func TestWriter_QuietOnceTheGoneObjectsEventsAreDropped(t *testing.T) {
	clk := clock.NewFake(epoch)
	w := newWriter(t, memory.New(memory.WithClock(clk)), clk, nil)
	w.Record(web, meta.EventNormal, "Issued", "issued")
	quiet := w.Quiet()
	w.Gone(web, w.Mark())
	select {
	case <-quiet:
	default:
		t.Fatal("not quiet with nothing pending")
	}
}

// Only events recorded before the mark are the deleted object's: one
// recorded since may be about a namesake made after the deletion, and a
// waiting event that occurred again since is kept, with all its count.
func TestWriter_GoneKeepsWhatWasRecordedAfterTheMark(t *testing.T) {
	clk := clock.NewFake(epoch)
	raw := memory.New(memory.WithClock(clk))
	w := newWriter(t, raw, clk, nil)
	w.Record(web, meta.EventNormal, "Requested", "requested")
	w.Record(web, meta.EventNormal, "Issued", "issued")
	before := w.Mark()
	w.Record(web, meta.EventNormal, "Issued", "issued")
	w.Record(web, meta.EventNormal, "Fresh", "about the namesake")
	w.Gone(web, before)
	require.NoError(t, w.Sync(testrig.Context(t)))
	counts := map[meta.Reason]int32{}
	for _, e := range stored(t, raw, web, clk) {
		counts[e.Reason] = e.Count
	}
	assert.Equal(t, map[meta.Reason]int32{"Issued": 2, "Fresh": 1}, counts)
}
