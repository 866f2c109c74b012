package events

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/memory"
)

// TestRecord_ReusesWhatFlushesGaveBack: once a flush wrote a burst of
// events, recording the next burst of new events allocates nothing — the
// pendings, the batch and the key map are the last burst's — however many
// bursts follow (an issuance records a dozen; each pending is 752 bytes).
// Every event is still stored, each once.
func TestRecord_ReusesWhatFlushesGaveBack(t *testing.T) {
	ctx := testrig.Context(t)
	clk := clock.NewFake(epoch)
	raw := memory.New(memory.WithClock(clk))
	w := newWriter(t, raw, clk, nil)
	const burst, bursts = 12, 20
	objs := objectsAt(bursts + 1)
	msgs := make([]string, burst)
	for i := range msgs {
		msgs[i] = fmt.Sprint("step ", i)
	}
	record := func(obj meta.Ref) {
		for _, m := range msgs {
			require.True(t, w.Record(obj, meta.EventNormal, "Step", m))
		}
	}
	record(objs[0])
	w.flush(ctx)
	var before, after runtime.MemStats
	var allocs uint64
	for _, obj := range objs[1:] {
		runtime.ReadMemStats(&before)
		record(obj)
		runtime.ReadMemStats(&after)
		allocs += after.Mallocs - before.Mallocs
		w.flush(ctx)
	}
	// The count is the process's: fewer than one a burst leaves room for
	// another goroutine's, not for one per event.
	assert.Less(t, allocs, uint64(bursts), "allocations recording %d bursts of %d new events", bursts, burst)
	for _, obj := range objs {
		evs := stored(t, raw, obj, clk)
		require.Len(t, evs, burst, obj.Name)
		for _, e := range evs {
			assert.Equal(t, int32(1), e.Count, "%s %s", obj.Name, e.Message)
		}
	}
	assert.Zero(t, w.Dropped())
}
