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
	w.Gone(ch)
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
	w.Gone(web)
	select {
	case <-quiet:
	default:
		t.Fatal("not quiet with nothing pending")
	}
}
