package file_test

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
	"github.com/certflow/certflow/store/storetest"
)

func rv(t *testing.T, w *storetest.Widget) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(w.Metadata.ResourceVersion, 10, 64)
	require.NoError(t, err)
	return n
}

func TestReopenKeepsObjectsAndRevisions(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	s, err := file.Open(dir)
	require.NoError(t, err)
	w := storetest.NewWidget("ns", "a", map[string]string{"k": "v"})
	require.NoError(t, s.Create(ctx, w))
	require.NoError(t, s.Update(ctx, w))
	require.NoError(t, s.Close())
	assert.ErrorIs(t, s.Update(ctx, w), file.ErrClosed)
	assert.ErrorIs(t, s.Get(ctx, w.Ref(), &storetest.Widget{}), file.ErrClosed)
	_, err = s.Watch(ctx, 0)
	assert.ErrorIs(t, err, file.ErrClosed)

	s = openStore(t, dir)
	got := &storetest.Widget{}
	require.NoError(t, s.Get(ctx, w.Ref(), got))
	assert.Equal(t, w, got)
	before := rv(t, got)
	require.NoError(t, s.Update(ctx, got))
	assert.Equal(t, before+1, rv(t, got))
}

func TestTornLogLineIsCutOff(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	s := openStore(t, dir, file.WithPollInterval(testPoll))
	w := storetest.NewWidget("ns", "a", nil)
	require.NoError(t, s.Create(ctx, w))
	// A writer that crashed in the middle of appending.
	f, err := os.OpenFile(filepath.Join(dir, "changes.log"), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"rev":99,"type":"Modi`)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	other := openStore(t, dir) // another process would not have the cache
	before := rv(t, w)
	require.NoError(t, other.Update(ctx, w))
	assert.Equal(t, before+1, rv(t, w), "the torn line took no revision")

	ch, err := s.Watch(ctx, 0)
	require.NoError(t, err)
	for _, want := range []uint64{before, before + 1} {
		ev := <-ch
		require.NoError(t, ev.Err)
		assert.Equal(t, want, ev.Revision)
	}
}

func TestLostLogKeepsRevisionsIncreasing(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	s, err := file.Open(dir)
	require.NoError(t, err)
	w := storetest.NewWidget("ns", "a", nil)
	require.NoError(t, s.Create(ctx, w))
	for range 4 {
		require.NoError(t, s.Update(ctx, w))
	}
	require.NoError(t, s.Close())
	require.NoError(t, os.Remove(filepath.Join(dir, "changes.log")))

	s = openStore(t, dir)
	before := rv(t, w)
	stale := *w
	require.NoError(t, s.Update(ctx, w))
	assert.Greater(t, rv(t, w), before, "a revision is never reused")
	assert.ErrorIs(t, s.Update(ctx, &stale), store.ErrConflict)
	_, err = s.Watch(ctx, 0)
	assert.ErrorIs(t, err, store.ErrCompacted, "the lost history is compacted")
}

// TestWatcherBehindTrimGetsCompacted blocks a watcher on a full channel
// while another writer trims the log past it.
func TestWatcherBehindTrimGetsCompacted(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	watcher := openStore(t, dir, file.WithPollInterval(testPoll))
	writer := openStore(t, dir, file.WithoutSync())
	trimmer := openStore(t, dir, file.WithoutSync(), file.WithHistory(4))

	ch, err := watcher.Watch(ctx, 0)
	require.NoError(t, err)
	w := storetest.NewWidget("ns", "a", nil)
	require.NoError(t, writer.Create(ctx, w))
	for range 199 {
		require.NoError(t, writer.Update(ctx, w))
	}
	// The poller holds a batch and waits on a full channel; nothing
	// signals that moment, so it is polled for.
	require.Eventually(t, func() bool { return len(ch) == cap(ch) }, 10*time.Second, time.Millisecond,
		"watch channel never filled")
	for range 20 {
		require.NoError(t, trimmer.Update(ctx, w))
	}

	var last uint64
	for ev := range ch {
		if ev.Err != nil {
			assert.ErrorIs(t, ev.Err, store.ErrCompacted)
			assert.LessOrEqual(t, last, uint64(200))
			_, ok := <-ch
			assert.False(t, ok, "the error event is the last")
			return
		}
		assert.Equal(t, last+1, ev.Revision, "consecutive")
		last = ev.Revision
	}
	t.Fatal("channel closed without ErrCompacted")
}
