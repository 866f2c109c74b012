package file

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/storetest"
)

// An object in the middle of a turn whose file cannot be put in place
// (here: a directory appears where it goes, after its record was logged)
// fails alone, as its Create does: it is left unchanged, its temporary
// file removed (and closed), and its revision stays taken (its record is durable, so
// a watcher sees it, as after such a Create). The objects after it keep
// their own consecutive revisions; a watch, List and a reopened store
// agree with what CreateBatch reported.
func TestCreateBatchRenameFailureInTheMiddleFailsThatObjectAlone(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	var blocked string
	s, err := Open(dir, func(o *options) {
		o.placing = func(path string) {
			if strings.HasSuffix(path, string(filepath.Separator)+"mid.json") {
				blocked = path
				require.NoError(t, os.Mkdir(path, dirPerm))
			}
		}
	})
	require.NoError(t, err)
	first := storetest.NewWidget("ns", "first", nil)
	require.NoError(t, s.Create(ctx, first))
	base := revOf(t, first)

	a, mid, c := storetest.NewWidget("ns", "a", nil), storetest.NewWidget("ns", "mid", nil), storetest.NewWidget("ns", "c", nil)
	objs := []meta.Object{a, mid, c}
	errs := make([]error, len(objs))
	fds := openDescriptors(t, dir)
	s.CreateBatch(ctx, objs, errs)
	assert.Equal(t, fds, openDescriptors(t, dir), "every file the batch opened is closed")

	require.NotEmpty(t, blocked, "the hook ran")
	require.Error(t, errs[1])
	assert.Empty(t, mid.Metadata.ResourceVersion, "a failed create leaves the object unchanged")
	assert.Empty(t, mid.Metadata.UID, "a failed create leaves the object unchanged")
	require.NoError(t, errs[0])
	require.NoError(t, errs[2])
	assert.Equal(t, base+1, revOf(t, a))
	assert.Equal(t, base+3, revOf(t, c), "mid's logged record keeps its revision")
	nsDir := filepath.Dir(blocked)
	entries, err := os.ReadDir(nsDir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, strings.HasPrefix(e.Name(), tmpPrefix), "temporary file left: %s", e.Name())
	}
	require.NoError(t, os.Remove(blocked))

	ch, err := s.Watch(ctx, base)
	require.NoError(t, err)

	for want := base + 1; want <= base+3; want++ {
		select {
		case ev := <-ch:
			require.NoError(t, ev.Err)
			require.Equal(t, want, ev.Revision, "in order, without a gap")
			assert.Equal(t, store.Added, ev.Type)
		case <-ctx.Done():
			t.Fatalf("watch stopped before revision %d", want)
		}
	}

	require.NoError(t, s.Close())
	s, err = Open(dir, WithFullOpen())
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	list, err := s.List(ctx, store.ListOptions{Kind: storetest.KindWidget})
	require.NoError(t, err)
	var names []string
	for _, item := range list.Items {
		names = append(names, item.Ref.Name)
	}
	assert.ElementsMatch(t, []string{"first", "a", "c"}, names)
	assert.Equal(t, base+3, list.Revision)
	again := storetest.NewWidget("ns", "mid", nil)
	require.NoError(t, s.Create(ctx, again), "mid can be created after all")
	assert.Equal(t, base+4, revOf(t, again), "above every revision logged")
}

// openDescriptors counts this process's open file descriptors on dir and
// what is in it, where /proc tells (-1 elsewhere); other tests' files do
// not count.
func openDescriptors(t *testing.T, dir string) int {
	t.Helper()
	if runtime.GOOS != "linux" {
		return -1
	}
	dir, err := filepath.EvalSymlinks(dir) // what /proc shows
	require.NoError(t, err)
	entries, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	n := 0
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err == nil && (target == dir || strings.HasPrefix(target, dir+string(filepath.Separator))) {
			n++
		}
	}
	return n
}

func revOf(t *testing.T, w *storetest.Widget) uint64 {
	t.Helper()
	rev, err := strconv.ParseUint(w.Metadata.ResourceVersion, 10, 64)
	require.NoError(t, err)
	return rev
}

// cancellingClock is a clock that ends a context at its nth reading: a
// CreateBatch reads it once for each object it stages.
type cancellingClock struct {
	clock.Real
	n      int // readings left until it cancels; 0: never
	cancel context.CancelFunc
}

func (c *cancellingClock) Now() time.Time {
	if c.n > 0 {
		if c.n--; c.n == 0 {
			c.cancel()
		}
	}
	return c.Real.Now()
}

// A context that ends while a turn stages its objects fails the objects
// not staged yet with its error, unchanged; those staged before it ended
// are created, with consecutive revisions, and nothing else is logged.
func TestCreateBatchContextEndingMidTurn(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	batchCtx, end := context.WithCancel(ctx)
	defer end()
	dir := t.TempDir()
	clk := &cancellingClock{cancel: end}
	s, err := Open(dir, WithClock(clk))
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	clk.n = 3

	ws := make([]*storetest.Widget, 6)
	objs := make([]meta.Object, len(ws))
	for i := range ws {
		ws[i] = storetest.NewWidget("ns", "w"+strconv.Itoa(i), nil)
		objs[i] = ws[i]
	}
	errs := make([]error, len(objs))
	s.CreateBatch(batchCtx, objs, errs)

	for i, w := range ws {
		if i < 3 {
			require.NoError(t, errs[i], "%s: staged before ctx ended", w.Ref())
			assert.Equal(t, uint64(i+1), revOf(t, w))
			continue
		}
		assert.ErrorIs(t, errs[i], context.Canceled, "%s", w.Ref())
		assert.Empty(t, w.Metadata.ResourceVersion, "%s: unchanged", w.Ref())
	}
	list, err := s.List(ctx, store.ListOptions{Kind: storetest.KindWidget})
	require.NoError(t, err)
	assert.Len(t, list.Items, 3)
	assert.Equal(t, uint64(3), list.Revision, "no revision for the objects not staged")
}
