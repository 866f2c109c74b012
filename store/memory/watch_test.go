package memory_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
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

// The history keeps the entry each change left and a watcher builds the
// event's metadata when it takes the change: a watch that starts after an
// object was created, updated and deleted still gets each version's own
// metadata, and what one watcher does to its events' maps another never
// sees.
func TestWatchEventsCarryTheirVersionsMetadata(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s := memory.New()
	sec := &secret.Secret{
		TypeMeta:   meta.TypeMeta{APIVersion: meta.KindSecret.APIVersion(), Kind: meta.KindSecret},
		ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "tls", Labels: map[string]string{"v": "1"}},
	}
	require.NoError(t, s.Create(ctx, sec))
	sec.ObjectMeta.Labels = map[string]string{"v": "2"}
	sec.ObjectMeta.Annotations = map[string]string{"note": "second"}
	require.NoError(t, s.Update(ctx, sec))
	require.NoError(t, s.Delete(ctx, meta.RefOf(sec), ""))

	watch := func() []store.WatchEvent {
		wctx, stop := context.WithCancel(ctx)
		ch, err := s.Watch(wctx, 0)
		require.NoError(t, err)
		var got []store.WatchEvent
		for len(got) < 3 {
			select {
			case ev := <-ch:
				require.NoError(t, ev.Err)
				got = append(got, ev)
			case <-ctx.Done():
				require.FailNow(t, "watch events not received in time")
			}
		}
		stop()
		return got
	}
	first := watch()
	assert.Equal(t, []store.EventType{store.Added, store.Modified, store.Deleted},
		[]store.EventType{first[0].Type, first[1].Type, first[2].Type})
	assert.Equal(t, map[string]string{"v": "1"}, first[0].Meta.Labels)
	assert.Nil(t, first[0].Meta.Annotations)
	for _, ev := range first[1:] {
		assert.Equal(t, map[string]string{"v": "2"}, ev.Meta.Labels)
		assert.Equal(t, map[string]string{"note": "second"}, ev.Meta.Annotations)
		assert.Equal(t, meta.RefOf(sec), ev.Ref)
	}
	assert.Equal(t, []uint64{1, 2, 3}, []uint64{first[0].Revision, first[1].Revision, first[2].Revision})
	assert.NotEqual(t, first[0].Meta.ResourceVersion, first[1].Meta.ResourceVersion)

	first[1].Meta.Labels["v"] = "changed by a watcher"
	again := watch()
	assert.Equal(t, map[string]string{"v": "2"}, again[1].Meta.Labels)
}
