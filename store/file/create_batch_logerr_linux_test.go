package file

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/storetest"
)

// A turn whose change records the log takes only part of (here: the file
// size limit cuts the append after two and a half records) commits
// nothing: every object fails and is left unchanged, the records already
// written are cut off again, no temporary file is left, no watcher sees a
// change, every file it opened is closed, and the next create takes the next revision.
func TestCreateBatchLogWriteCutShortCommitsNothing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if os.Getenv(fileSizeChildEnv) == "" {
		runWithOwnLimit(ctx, t)
		return
	}
	dir := t.TempDir()
	s, err := Open(dir)
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	// Enough records that the log is larger than any object file: the
	// limit must cut the log's append, not the temporary files' writes.
	for i := range 20 {
		require.NoError(t, s.Create(ctx, storetest.NewWidget("ns", fmt.Sprintf("before-%02d", i), nil)))
	}
	last := storetest.NewWidget("ns", "last", nil)
	require.NoError(t, s.Create(ctx, last))
	base := revOf(t, last)
	logPath := filepath.Join(dir, logName)
	before, err := os.ReadFile(logPath)
	require.NoError(t, err)
	lines := strings.SplitAfter(string(before), "\n")
	lineLen := len(lines[len(lines)-2])
	ws := make([]*storetest.Widget, 5)
	objs := make([]meta.Object, len(ws))
	for i := range ws {
		ws[i] = storetest.NewWidget("ns", fmt.Sprintf("w%d", i), nil)
		objs[i] = ws[i]
	}
	errs := make([]error, len(objs))
	fds := openDescriptors(t, dir)
	withFileSizeLimit(t, uint64(len(before)+2*lineLen+lineLen/2), func() {
		s.CreateBatch(ctx, objs, errs)
	})

	assert.Equal(t, fds, openDescriptors(t, dir), "every file the batch opened is closed")
	for i, w := range ws {
		require.ErrorIs(t, errs[i], syscall.EFBIG, "%s", w.Ref())
		assert.Empty(t, w.Metadata.ResourceVersion, "%s: unchanged", w.Ref())
	}
	after, err := os.ReadFile(logPath)
	require.NoError(t, err)
	assert.Equal(t, len(before), len(after), "the records written are cut off again")
	assert.True(t, bytes.Equal(before, after), "the log is as it was")
	entries, err := os.ReadDir(filepath.Join(dir, objectsDir, string(storetest.KindWidget), "ns"))
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, strings.HasPrefix(e.Name(), tmpPrefix), "temporary file left: %s", e.Name())
	}

	ch, err := s.Watch(ctx, base)
	require.NoError(t, err)
	next := storetest.NewWidget("ns", "next", nil)
	require.NoError(t, s.Create(ctx, next))
	assert.Equal(t, base+1, revOf(t, next), "no revision taken by the failed turn")
	select {
	case ev := <-ch:
		require.NoError(t, ev.Err)
		assert.Equal(t, "next", ev.Ref.Name, "the failed turn's changes were never seen")
		assert.Equal(t, base+1, ev.Revision)
	case <-ctx.Done():
		t.Fatal("no event for next")
	}
}

// fileSizeChildEnv marks the child process runWithOwnLimit starts.
const fileSizeChildEnv = "CERTFLOW_FILESTORE_FSIZE_CHILD"

// runWithOwnLimit runs t again in a child process of its own. The file
// size limit is the whole process's: in go test's process it also cut
// the test log go test keeps for its cache ("testlog.txt: file too
// large"), failing the package; a child started by hand keeps none.
func runWithOwnLimit(ctx context.Context, t *testing.T) {
	t.Helper()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), fileSizeChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "child:\n%s", out)
	require.Contains(t, string(out), "--- PASS: "+t.Name(), "child:\n%s", out)
}

// withFileSizeLimit runs f with the process's file size limit (RLIMIT_FSIZE)
// at limit: a write past it is cut short with EFBIG (Go ignores SIGXFSZ).
func withFileSizeLimit(t *testing.T, limit uint64, f func()) {
	t.Helper()
	var old syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old))
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: old.Max}))
	defer func() { require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old)) }()
	f()
}
