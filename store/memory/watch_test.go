package memory_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
	"github.com/certflow/certflow/store/storetest"
)

// drain reads ch until it closes, failing the test at ctx's deadline.
func drain(ctx context.Context, t *testing.T, ch <-chan store.WatchEvent) []store.WatchEvent {
	t.Helper()
	var got []store.WatchEvent
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return got
			}
			got = append(got, ev)
		case <-ctx.Done():
			require.FailNow(t, "watch channel not closed in time")
		}
	}
}

// A watcher that reads nothing while far more changes are written than the
// history keeps for new watches still gets every one of them, in order:
// the history keeps what a live watcher has still to read.
func TestSlowWatcherLosesNothing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := memory.New(memory.WithHistory(4), memory.WithWatchBuffer(5000))
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	ch, err := s.Watch(wctx, 0)
	require.NoError(t, err)
	w := storetest.NewWidget("ns", "a", nil)
	require.NoError(t, s.Create(ctx, w))
	const writes = 2000
	for range writes - 1 {
		require.NoError(t, s.Update(ctx, w))
	}
	for want := uint64(1); want <= writes; want++ {
		select {
		case ev := <-ch:
			require.NoError(t, ev.Err)
			require.Equal(t, want, ev.Revision)
		case <-ctx.Done():
			require.FailNow(t, "watch stalled", "at revision %d", want)
		}
	}
	stop()
	assert.Empty(t, drain(ctx, t, ch), "nothing after the last change")
	_, err = s.Watch(ctx, 1)
	assert.ErrorIs(t, err, store.ErrCompacted, "once read, the old changes are forgotten")
}

// A watcher that stops reading altogether never holds writers up, and once
// it is more than the watch buffer behind it gets the changes it took, in
// order and without a gap, then a last event wrapping ErrCompacted.
func TestStuckWatcherIsCutWithoutBlockingWriters(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := memory.New(memory.WithHistory(2), memory.WithWatchBuffer(8))
	ch, err := s.Watch(ctx, 0)
	require.NoError(t, err)
	w := storetest.NewWidget("ns", "a", nil)
	require.NoError(t, s.Create(ctx, w))
	const writes = 2000 // far more than a watch can take ahead of its reader
	for range writes - 1 {
		require.NoError(t, s.Update(ctx, w))
	}
	got := drain(ctx, t, ch) // the error event is the last; then the channel closes
	require.NotEmpty(t, got)
	last := got[len(got)-1]
	require.ErrorIs(t, last.Err, store.ErrCompacted)
	require.Less(t, len(got)-1, writes, "the stuck watcher was cut")
	for i, ev := range got[:len(got)-1] {
		require.NoError(t, ev.Err)
		require.Equal(t, uint64(i+1), ev.Revision, "in order, no gap")
	}
	assert.Equal(t, uint64(len(got)-1), last.Revision, "the error names the last change delivered")
}
