package etcd_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/etcd"
	"github.com/certflow/certflow/store/etcd/etcdtest"
	"github.com/certflow/certflow/store/storetest"
)

// next returns the next event, failing if none comes in time or the channel
// closes.
func next(t *testing.T, ch <-chan store.WatchEvent) store.WatchEvent {
	t.Helper()
	select {
	case ev, ok := <-ch:
		require.True(t, ok, "watch closed early")
		return ev
	case <-time.After(20 * time.Second):
		require.FailNow(t, "no watch event in time")
		return store.WatchEvent{}
	}
}

// closed fails unless ch closes without another event.
func closed(t *testing.T, ch <-chan store.WatchEvent) {
	t.Helper()
	select {
	case ev, ok := <-ch:
		require.False(t, ok, "an event after the last: %+v", ev)
	case <-time.After(20 * time.Second):
		require.FailNow(t, "watch not closed in time")
	}
}

// A watch from a revision etcd compacted ends at once with ErrCompacted; one
// from after the compaction replays.
func TestWatchFromCompactedRevision(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := etcdtest.Start(t)
	st := openStore(t, srv, etcd.Config{})
	w := storetest.NewWidget("ns", "a", nil)
	require.NoError(t, st.Create(ctx, w))
	created := revision(t, w.Metadata.ResourceVersion)
	require.NoError(t, st.Update(ctx, w))
	updated := revision(t, w.Metadata.ResourceVersion)
	require.NoError(t, srv.Compact(ctx, int64(updated)))

	ch, err := st.Watch(ctx, created-1)
	require.NoError(t, err)
	ev := next(t, ch)
	require.ErrorIs(t, ev.Err, store.ErrCompacted)
	closed(t, ch)

	ch, err = st.Watch(ctx, updated-1)
	require.NoError(t, err)
	ev = next(t, ch)
	require.NoError(t, ev.Err)
	assert.Equal(t, store.Modified, ev.Type)
	assert.Equal(t, updated, ev.Revision)
}

// A watch goes on across an etcd restart, without losing or repeating a
// change.
func TestWatchSurvivesRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := etcdtest.Start(t)
	st := openStore(t, srv, etcd.Config{})
	ch, err := st.Watch(ctx, 0)
	require.NoError(t, err)
	a := storetest.NewWidget("ns", "a", nil)
	require.NoError(t, st.Create(ctx, a))
	assert.Equal(t, "a", next(t, ch).Ref.Name)

	srv.Stop()
	require.NoError(t, srv.Restart())
	b := storetest.NewWidget("ns", "b", nil)
	require.NoError(t, st.Create(ctx, b))
	ev := next(t, ch)
	require.NoError(t, ev.Err)
	assert.Equal(t, "b", ev.Ref.Name)
	assert.Equal(t, revision(t, b.Metadata.ResourceVersion), ev.Revision)
	require.NoError(t, st.Delete(ctx, a.Ref(), ""))
	ev = next(t, ch)
	assert.Equal(t, store.Deleted, ev.Type)
	assert.Equal(t, "a", ev.Ref.Name)
	assert.Equal(t, a.Metadata.UID, ev.Meta.UID, "a deletion carries the metadata the object had")
}

// A watch never ends silently: closing the store, or the client under it,
// ends it with an error event.
func TestWatchEndsWithAnError(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := etcdtest.Start(t)

	st, err := etcd.Open(etcd.Config{Endpoints: srv.Endpoints()})
	require.NoError(t, err)
	ch, err := st.Watch(ctx, 0)
	require.NoError(t, err)
	require.NoError(t, st.Close())
	ev := next(t, ch)
	assert.ErrorIs(t, ev.Err, etcd.ErrClosed)
	closed(t, ch)

	c, err := clientv3New(srv)
	require.NoError(t, err)
	st, err = etcd.Open(etcd.Config{Client: c})
	require.NoError(t, err)
	defer st.Close()
	ch, err = st.Watch(ctx, 0)
	require.NoError(t, err)
	require.NoError(t, c.Close())
	ev = next(t, ch)
	assert.ErrorIs(t, ev.Err, etcd.ErrUnavailable)
	closed(t, ch)
}

// A consumer that reads nothing while far more changes are made than its
// buffer holds loses none of them: the watch waits for it, then catches up
// from etcd's history.
func TestSlowWatcherCatchesUpFromEtcd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := etcdtest.Start(t)
	st := openStore(t, srv, etcd.Config{WatchBuffer: 4})
	ch, err := st.Watch(ctx, 0)
	require.NoError(t, err)
	w := storetest.NewWidget("ns", "a", nil)
	require.NoError(t, st.Create(ctx, w))
	first := revision(t, w.Metadata.ResourceVersion)
	const updates = 200
	for range updates {
		require.NoError(t, st.Update(ctx, w))
	}
	for i := range updates + 1 {
		ev := next(t, ch)
		require.NoError(t, ev.Err, "event %d", i)
		require.Equal(t, first+uint64(i), ev.Revision, "in order, none missing")
	}
}

// A consumer behind a revision etcd has compacted since gets what it was
// given, then ErrCompacted.
func TestSlowWatcherBehindCompactionEnds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := etcdtest.Start(t)
	st := openStore(t, srv, etcd.Config{WatchBuffer: 4})
	ch, err := st.Watch(ctx, 0)
	require.NoError(t, err)
	w := storetest.NewWidget("ns", "a", nil)
	require.NoError(t, st.Create(ctx, w))
	first := revision(t, w.Metadata.ResourceVersion)
	for range 20 {
		require.NoError(t, st.Update(ctx, w))
	}
	// Once the buffer is full the watch has stopped reading etcd.
	// (Polled: the channel's length is all there is to see.)
	deadline := time.Now().Add(20 * time.Second)
	for len(ch) < 4 {
		require.True(t, time.Now().Before(deadline), "the watch never filled up: %d events", len(ch))
		time.Sleep(10 * time.Millisecond)
	}
	// Changes made now cannot be in the etcd response the stopped watch
	// holds (it was received before the buffer filled), so compacting past
	// them leaves the watch behind the compaction whatever etcd batched.
	for range 5 {
		require.NoError(t, st.Update(ctx, w))
	}
	require.NoError(t, srv.Compact(ctx, int64(revision(t, w.Metadata.ResourceVersion))))
	var got []store.WatchEvent
	for {
		ev := next(t, ch)
		got = append(got, ev)
		if ev.Err != nil {
			break
		}
	}
	closed(t, ch)
	last := got[len(got)-1]
	require.ErrorIs(t, last.Err, store.ErrCompacted)
	require.GreaterOrEqual(t, len(got)-1, 4, "what was buffered is delivered first")
	for i, ev := range got[:len(got)-1] {
		assert.Equal(t, first+uint64(i), ev.Revision, "in order from the first")
	}
}
