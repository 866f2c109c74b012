package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/store"
)

// recvTimeout bounds one wait for an event; pollers deliver far faster.
const recvTimeout = 10 * time.Second

// recv returns the next event, failing the test if the channel closes or
// nothing arrives in time.
func recv(ctx context.Context, t *testing.T, ch <-chan store.WatchEvent) store.WatchEvent {
	t.Helper()
	timer := time.NewTimer(recvTimeout)
	defer timer.Stop()
	select {
	case ev, ok := <-ch:
		require.True(t, ok, "watch channel closed early")
		return ev
	case <-timer.C:
		require.FailNow(t, "no watch event in time")
	case <-ctx.Done():
		require.FailNow(t, "test deadline while waiting for a watch event")
	}
	return store.WatchEvent{}
}

// awaitClosed drains ch until it closes, failing the test on timeout, and
// returns what it drained.
func awaitClosed(ctx context.Context, t *testing.T, ch <-chan store.WatchEvent) []store.WatchEvent {
	t.Helper()
	timer := time.NewTimer(recvTimeout)
	defer timer.Stop()
	var got []store.WatchEvent
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return got
			}
			got = append(got, ev)
		case <-timer.C:
			require.FailNow(t, "watch channel not closed in time")
		case <-ctx.Done():
			require.FailNow(t, "test deadline while waiting for the watch to close")
		}
	}
}

func testWatchOrdering(ctx context.Context, t *testing.T, h *harness) {
	res, err := h.s.List(ctx, store.ListOptions{})
	require.NoError(t, err)
	ch, err := h.s.Watch(ctx, res.Revision)
	require.NoError(t, err)

	a := NewWidget("ns", "a", nil)
	a.Metadata.Labels = map[string]string{"app": "web"}
	h.create(ctx, t, a)
	added := a.Metadata.ResourceVersion
	require.NoError(t, h.s.Update(ctx, a))
	modified := a.Metadata.ResourceVersion
	b := h.create(ctx, t, NewWidget("ns", "b", nil))
	require.NoError(t, h.s.Delete(ctx, a.Ref(), ""))

	want := []struct {
		typ  store.EventType
		name string
		rv   string
	}{{store.Added, "a", added}, {store.Modified, "a", modified}, {store.Added, "b", b.Metadata.ResourceVersion}, {store.Deleted, "a", ""}}
	var last uint64
	for i, w := range want {
		ev := recv(ctx, t, ch)
		require.NoError(t, ev.Err)
		assert.Equal(t, w.typ, ev.Type, "event %d", i)
		assert.Equal(t, NewWidget("ns", w.name, nil).Ref(), ev.Ref, "event %d", i)
		assert.Greater(t, ev.Revision, last, "event %d: revisions increase", i)
		last = ev.Revision
		if w.rv != "" {
			assert.Equal(t, w.rv, fmt.Sprint(ev.Revision), "event %d: revision is the resourceVersion", i)
			assert.Equal(t, w.rv, ev.Meta.ResourceVersion, "event %d: meta after the change", i)
		}
		if w.name == "a" {
			assert.Equal(t, "web", ev.Meta.Labels["app"], "event %d carries the metadata", i)
		}
	}
}

func testWatchResume(ctx context.Context, t *testing.T, h *harness) {
	a := h.create(ctx, t, NewWidget("ns", "a", nil))
	b := h.create(ctx, t, NewWidget("ns", "b", nil))
	c := h.create(ctx, t, NewWidget("ns", "c", nil))
	ch, err := h.s.Watch(ctx, revOf(t, a.Metadata.ResourceVersion))
	require.NoError(t, err)
	for _, w := range []*Widget{b, c} {
		ev := recv(ctx, t, ch)
		require.NoError(t, ev.Err)
		assert.Equal(t, w.Ref(), ev.Ref)
		assert.Equal(t, store.Added, ev.Type)
		assert.Equal(t, revOf(t, w.Metadata.ResourceVersion), ev.Revision)
	}
	d := h.create(ctx, t, NewWidget("ns", "d", nil))
	ev := recv(ctx, t, ch)
	assert.Equal(t, d.Ref(), ev.Ref, "replay then live, without duplicates")
}

func testWatchStopsOnCancel(ctx context.Context, t *testing.T, h *harness) {
	wctx, cancel := context.WithCancel(ctx)
	ch, err := h.s.Watch(wctx, 0)
	require.NoError(t, err)
	h.create(ctx, t, NewWidget("ns", "a", nil))
	assert.Equal(t, "a", recv(ctx, t, ch).Ref.Name)
	cancel()
	awaitClosed(ctx, t, ch)
}

// testWatchCompaction checks that a watch from a forgotten revision reports
// ErrCompacted (returned, or as the only event) and that recent revisions
// still replay. Without a declared history it only checks that an early
// watch is either complete and ordered or reports ErrCompacted.
func testWatchCompaction(ctx context.Context, t *testing.T, h *harness, history int) {
	writes := 20
	if history > 0 {
		writes = 3*history + 2
	}
	w := h.create(ctx, t, NewWidget("ns", "a", nil))
	for range writes - 1 {
		require.NoError(t, h.s.Update(ctx, w))
	}
	latest := revOf(t, w.Metadata.ResourceVersion)

	ch, err := h.s.Watch(ctx, 0)
	compacted := errors.Is(err, store.ErrCompacted)
	if err == nil {
		first := recv(ctx, t, ch)
		if first.Err != nil {
			require.ErrorIs(t, first.Err, store.ErrCompacted)
			assert.Empty(t, awaitClosed(ctx, t, ch), "the error event is the last")
			compacted = true
		} else {
			got := []uint64{first.Revision}
			for len(got) < writes {
				ev := recv(ctx, t, ch)
				require.NoError(t, ev.Err)
				got = append(got, ev.Revision)
			}
			assert.IsIncreasing(t, got)
			assert.Equal(t, latest, got[len(got)-1])
		}
	} else {
		require.ErrorIs(t, err, store.ErrCompacted)
	}
	if history > 0 {
		assert.True(t, compacted, "a watch from before the history is ErrCompacted")
	}

	ch, err = h.s.Watch(ctx, latest-1)
	require.NoError(t, err, "the latest revision is never compacted")
	ev := recv(ctx, t, ch)
	require.NoError(t, ev.Err)
	assert.Equal(t, latest, ev.Revision)
}

// testWatchSlowReader checks that a watcher that reads nothing while many
// changes are written, but stays within what the store retains, then gets
// every one of them in order: a reader that is merely behind is never
// dropped. With a declared history it writes that many changes, else 2048
// (more than a watch's buffer is likely to hold ahead of its reader).
func testWatchSlowReader(ctx context.Context, t *testing.T, h *harness, history int) {
	writes := 2048
	if history > 0 {
		writes = history
	}
	res, err := h.s.List(ctx, store.ListOptions{})
	require.NoError(t, err)
	ch, err := h.s.Watch(ctx, res.Revision)
	require.NoError(t, err)

	type change struct {
		typ store.EventType
		ref string
		rev uint64
	}
	var want []change
	widgets := make([]*Widget, min(4, writes))
	for i := range widgets {
		widgets[i] = h.create(ctx, t, NewWidget("ns", fmt.Sprintf("w%d", i), nil))
		want = append(want, change{store.Added, widgets[i].Metadata.Name, revOf(t, widgets[i].Metadata.ResourceVersion)})
	}
	for i := len(want); i < writes; i++ {
		w := widgets[i%len(widgets)]
		w.Data = map[string]string{"n": fmt.Sprint(i)}
		require.NoError(t, h.s.Update(ctx, w))
		want = append(want, change{store.Modified, w.Metadata.Name, revOf(t, w.Metadata.ResourceVersion)})
	}

	for i, w := range want {
		ev := recv(ctx, t, ch)
		require.NoError(t, ev.Err, "change %d of %d: a reader that is only behind is not cut off", i+1, len(want))
		require.Equal(t, w, change{ev.Type, ev.Ref.Name, ev.Revision}, "change %d of %d", i+1, len(want))
	}
}
