package events

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/memory"
)

// Whether the writer creates an Event or adds to it follows what it knows
// stored: an Event its sweep found is added to without a Create that
// fails first, and one the collector deleted (Deleted) is created again
// without a read that finds it gone first.
func TestWriter_CreatesOrAddsAsItKnowsTheEvent(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(epoch)
	inner := memory.New(memory.WithClock(clk))
	earlier := newWriter(t, inner, clk, nil)
	earlier.Record(web, meta.EventNormal, "Issued", "issued")
	earlier.flush(ctx)

	st := storecount.New(inner)
	w := newWriter(t, st, clk, nil)
	w.sweep(ctx) // finds the earlier process's Event
	before := st.Counts()
	w.Record(web, meta.EventNormal, "Issued", "issued")
	w.flush(ctx)
	c := st.Counts()
	assert.Equal(t, before.Of(storecount.Create), c.Of(storecount.Create), "a Create of an Event the sweep found: %s", c)
	evs := stored(t, inner, web, clk)
	require.Len(t, evs, 1)
	assert.Equal(t, int32(2), evs[0].Count)

	// The collector deletes it, and the watch tells the writer.
	ref, rv := meta.RefOf(&evs[0]), evs[0].ObjectMeta.ResourceVersion
	require.NoError(t, inner.Delete(ctx, ref, rv))
	w.Deleted(ref, rv)
	before = st.Counts()
	w.Record(web, meta.EventNormal, "Issued", "issued")
	w.flush(ctx)
	c = st.Counts()
	assert.Equal(t, before.Of(storecount.Get), c.Of(storecount.Get), "a read of an Event known deleted: %s", c)
	assert.Equal(t, before.Of(storecount.Create)+1, c.Of(storecount.Create), "%s", c)
	evs = stored(t, inner, web, clk)
	require.Len(t, evs, 1)
	assert.Equal(t, int32(1), evs[0].Count)
	assert.Zero(t, w.Dropped())
}
