package file_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
	"github.com/certflow/certflow/store/storetest"
)

// history is a closed store with a few objects and the revision of each
// change, in order.
type history struct {
	dir     string
	objects []*storetest.Widget
	revs    []uint64
}

func writeHistory(t *testing.T) history {
	t.Helper()
	ctx := testCtx(t)
	h := history{dir: t.TempDir()}
	s, err := file.Open(h.dir)
	require.NoError(t, err)
	for _, name := range []string{"a", "b", "c"} {
		w := storetest.NewWidget("ns", name, map[string]string{"v": "1"})
		require.NoError(t, s.Create(ctx, w))
		h.revs = append(h.revs, rv(t, w))
		w.Data["v"] = "2"
		require.NoError(t, s.Update(ctx, w))
		h.revs = append(h.revs, rv(t, w))
		h.objects = append(h.objects, w)
	}
	require.NoError(t, s.Close())
	return h
}

func (h history) logPath() string { return filepath.Join(h.dir, "changes.log") }

// corruptLine overwrites the change log's line for rev with garbage of the
// same length, keeping its newline.
func (h history) corruptLine(t *testing.T, rev uint64) {
	t.Helper()
	data, err := os.ReadFile(h.logPath())
	require.NoError(t, err)
	lines := bytes.SplitAfter(data, []byte("\n"))
	needle := []byte(`{"rev":` + strconv.FormatUint(rev, 10) + `,`)
	for _, l := range lines {
		if bytes.HasPrefix(l, needle) {
			copy(l, bytes.Repeat([]byte{0xff}, len(l)-1))
			require.NoError(t, os.WriteFile(h.logPath(), bytes.Join(lines, nil), 0o600))
			return
		}
	}
	t.Fatalf("no line for revision %d in %q", rev, data)
}

// requireIntact checks that every object reads back as written.
func (h history) requireIntact(ctx context.Context, t *testing.T, s store.Store) {
	t.Helper()
	for _, w := range h.objects {
		got := &storetest.Widget{}
		require.NoError(t, s.Get(ctx, w.Ref(), got))
		assert.Equal(t, w, got)
	}
	res, err := s.List(ctx, store.ListOptions{})
	require.NoError(t, err)
	assert.Len(t, res.Items, len(h.objects))
}

// requireCompacted checks that a watch from rev cannot silently skip
// changes: it fails with ErrCompacted, at once or as its first event.
func requireCompacted(ctx context.Context, t *testing.T, s store.Store, rev uint64) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch, err := s.Watch(ctx, rev)
	if err != nil {
		require.ErrorIs(t, err, store.ErrCompacted)
		return
	}
	ev, ok := <-ch
	require.True(t, ok)
	require.ErrorIs(t, ev.Err, store.ErrCompacted, "watch from %d got %+v", rev, ev)
}

// requireFollows checks that a watch from rev sees want next.
func requireFollows(ctx context.Context, t *testing.T, s store.Store, rev uint64, want ...uint64) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch, err := s.Watch(ctx, rev)
	require.NoError(t, err)
	for _, r := range want {
		ev := <-ch
		require.NoError(t, ev.Err)
		assert.Equal(t, r, ev.Revision)
	}
}

// updateAll writes every object once more and checks the new revisions
// are above every revision used before.
func (h history) updateAll(ctx context.Context, t *testing.T, s store.Store) {
	t.Helper()
	top := h.revs[len(h.revs)-1]
	for _, w := range h.objects {
		require.NoError(t, s.Update(ctx, w))
		assert.Greater(t, rv(t, w), top, "a revision is never reused")
		top = rv(t, w)
	}
}

func TestOpenRepairsGarbageAtLogTail(t *testing.T) {
	ctx := testCtx(t)
	h := writeHistory(t)
	f, err := os.OpenFile(h.logPath(), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	// A crash on a file system that extends the file before writing its
	// data leaves zeros; something appended after them ends the line.
	_, err = f.Write(append(make([]byte, 300), "\n{\"rev\":9999,\"ty\n"...))
	require.NoError(t, err)
	require.NoError(t, f.Close())

	log, logged := newLogger()
	s := openStore(t, h.dir, file.WithLogger(log), file.WithPollInterval(testPoll))
	assert.Contains(t, logged.String(), h.logPath(), "the repair is logged")
	h.requireIntact(ctx, t, s)
	// The garbage may have held changes (a delete leaves no object file
	// behind), so a watcher that was at the end must list again.
	requireCompacted(ctx, t, s, h.revs[len(h.revs)-1])
	requireFollows(ctx, t, s, h.revs[len(h.revs)-2], h.revs[len(h.revs)-1])
	res, err := s.List(ctx, store.ListOptions{})
	require.NoError(t, err)
	h.updateAll(ctx, t, s)
	requireFollows(ctx, t, s, res.Revision, rv(t, h.objects[0]), rv(t, h.objects[1]))
}

func TestOpenRepairsGarbageInTheMiddleOfTheLog(t *testing.T) {
	ctx := testCtx(t)
	h := writeHistory(t)
	lost := h.revs[2]
	h.corruptLine(t, lost)

	log, logged := newLogger()
	// Not a crash's doing: only a full Open reads the log's middle.
	s := openStore(t, h.dir, file.WithFullOpen(), file.WithLogger(log), file.WithPollInterval(testPoll))
	assert.Contains(t, logged.String(), h.logPath(), "the repair is logged")
	h.requireIntact(ctx, t, s)
	requireCompacted(ctx, t, s, lost-1)
	requireFollows(ctx, t, s, lost, h.revs[3:]...)
	h.updateAll(ctx, t, s)
}

func TestOpenRepairsALogThatIsAllGarbage(t *testing.T) {
	ctx := testCtx(t)
	h := writeHistory(t)
	require.NoError(t, os.WriteFile(h.logPath(), []byte("\x00\x01garbage\n}{\n"), 0o600))

	log, logged := newLogger()
	s := openStore(t, h.dir, file.WithLogger(log))
	assert.Contains(t, logged.String(), h.logPath())
	h.requireIntact(ctx, t, s)
	requireCompacted(ctx, t, s, h.revs[len(h.revs)-1])
	h.updateAll(ctx, t, s)
}

// TestWriterRepairsGarbageAppendedWhileOpen: the store was opened clean,
// then the log's end was damaged; the next write repairs it.
func TestWriterRepairsGarbageAppendedWhileOpen(t *testing.T) {
	ctx := testCtx(t)
	h := writeHistory(t)
	log, logged := newLogger()
	s := openStore(t, h.dir, file.WithLogger(log), file.WithPollInterval(testPoll))
	f, err := os.OpenFile(h.logPath(), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("not json\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())

	h.updateAll(ctx, t, s)
	assert.Contains(t, logged.String(), h.logPath())
	h.requireIntact(ctx, t, s)
}

// TestListRepairsDamageFoundWhileOpen: readers cannot repair under their
// shared lock, so List takes the writers' lock to do it.
func TestListRepairsDamageFoundWhileOpen(t *testing.T) {
	ctx := testCtx(t)
	h := writeHistory(t)
	log, logged := newLogger()
	s := openStore(t, h.dir, file.WithLogger(log), file.WithPollInterval(testPoll))
	f, err := os.OpenFile(h.logPath(), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("not json\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())

	h.requireIntact(ctx, t, s)
	assert.Contains(t, logged.String(), h.logPath())
	requireCompacted(ctx, t, s, h.revs[len(h.revs)-1])
}

// TestWatchReadsPastDamageThatLostNothing damages the log of an open store
// in place: a watcher reads on past a damaged line when the next good line
// follows on from its revision, and gets ErrCompacted when it does not.
func TestWatchReadsPastDamageThatLostNothing(t *testing.T) {
	ctx := testCtx(t)
	h := writeHistory(t)
	s := openStore(t, h.dir, file.WithPollInterval(testPoll))
	data, err := os.ReadFile(h.logPath())
	require.NoError(t, err)
	lines := bytes.SplitAfter(data, []byte("\n"))
	// lines[0] is the header, lines[i] holds h.revs[i-1].
	junk := []byte("\x00\x00 junk \x00\n")
	damaged := append(append(bytes.Join(lines[:4], nil), junk...), bytes.Join(lines[4:], nil)...)
	require.NoError(t, os.WriteFile(h.logPath(), damaged, 0o600))

	requireFollows(ctx, t, s, h.revs[1], h.revs[2:]...)
	requireFollows(ctx, t, s, h.revs[2], h.revs[3:]...)

	h.corruptLine(t, h.revs[4])
	requireCompacted(ctx, t, s, h.revs[3])
	requireFollows(ctx, t, s, h.revs[4], h.revs[5])
}

func TestListRecreatesALogRemovedWhileOpen(t *testing.T) {
	ctx := testCtx(t)
	h := writeHistory(t)
	s := openStore(t, h.dir)
	require.NoError(t, os.Remove(h.logPath()))
	res, err := s.List(ctx, store.ListOptions{})
	require.NoError(t, err)
	assert.Len(t, res.Items, len(h.objects))
	assert.GreaterOrEqual(t, res.Revision, h.revs[len(h.revs)-1])
	requireCompacted(ctx, t, s, 0)
	h.updateAll(ctx, t, s)
}
