//go:build unix

package file_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
	"github.com/certflow/certflow/store/storetest"
)

// quickPopulated returns a closed store holding Secrets a and b, and the
// path of a's file made readable by other users: a full Open makes it
// private again, a quick one (the default) leaves it to the first read.
func quickPopulated(t *testing.T) (dir, readable string) {
	t.Helper()
	ctx := testCtx(t)
	dir = filepath.Join(t.TempDir(), "store")
	s, err := file.Open(dir)
	require.NoError(t, err)
	a := newSecret("a")
	require.NoError(t, s.Create(ctx, a))
	require.NoError(t, s.Create(ctx, newSecret("b")))
	require.NoError(t, s.Close())
	readable = objectFile(dir, a)
	require.NoError(t, os.Chmod(readable, 0o644))
	return dir, readable
}

// After every process that wrote closed the store, Open looks at no
// object file: one other users can read is made private by the first read
// of it, one they can write is refused by the operation that meets it
// instead of by Open. A full Open still looks at both.
func TestQuickOpenLooksAtNoObjectFileAfterCleanCloses(t *testing.T) {
	ctx := testCtx(t)
	dir, readable := quickPopulated(t)
	b := newSecret("b")
	require.NoError(t, os.Chmod(objectFile(dir, b), 0o662))

	s, err := file.Open(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), modeOf(t, readable), "not looked at")
	require.ErrorIs(t, s.Get(ctx, b.Ref(), &storetest.Widget{}), file.ErrUnsafePath)
	res, err := s.List(ctx, store.ListOptions{Kind: b.Kind})
	require.ErrorIs(t, err, file.ErrUnsafePath)
	assert.Contains(t, err.Error(), objectFile(dir, b))
	assert.Len(t, res.Items, 1, "the others are listed")
	assert.Equal(t, os.FileMode(0o600), modeOf(t, readable), "made private as it was listed")
	assert.Equal(t, os.FileMode(0o662), modeOf(t, objectFile(dir, b)), "left for the operator to judge")
	require.NoError(t, s.Close())

	_, err = file.Open(dir, file.WithFullOpen())
	require.ErrorIs(t, err, file.ErrUnsafePath, "a full Open refuses it")
	_, err = file.Open(dir, file.WithFullOpen(), file.WithQuickOpen())
	require.ErrorIs(t, err, file.ErrUnsafePath, "the deprecated WithQuickOpen does not undo WithFullOpen")
	require.NoError(t, os.Chmod(objectFile(dir, b), 0o600))
	require.NoError(t, os.Chmod(readable, 0o644))
	s, err = file.Open(dir, file.WithFullOpen())
	require.NoError(t, err)
	require.NoError(t, s.Close())
	assert.Equal(t, os.FileMode(0o600), modeOf(t, readable), "a full Open made it private without reading it")
}

// A process that began writing and died without closing the store may
// have left a temporary file holding a key: the next quick Open looks at
// every file, removes it and says why; once that is done, Opens are quick
// again.
func TestQuickOpenLooksEverywhereAfterAWriterDied(t *testing.T) {
	ctx := testCtx(t)
	dir, readable := quickPopulated(t)
	err := childCmd(ctx, "crash", dir).Run()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "the child crashed: %v", err)
	require.Equal(t, crashExit, exit.ExitCode())
	tmp := filepath.Join(dir, "objects/Secret/ns/.tmp-crashed")
	require.FileExists(t, tmp)

	log, logged := newLogger()
	s, err := file.Open(dir, file.WithLogger(log))
	require.NoError(t, err)
	assert.NoFileExists(t, tmp, "the crashed write's file is removed")
	assert.Contains(t, logged.String(), tmp)
	assert.Contains(t, logged.String(), "ended without closing the store")
	assert.Equal(t, os.FileMode(0o600), modeOf(t, readable), "every file was looked at")
	require.NoError(t, s.Get(ctx, newSecret(fromChild).Ref(), &storetest.Widget{}))
	require.NoError(t, s.Close())

	require.NoError(t, os.Chmod(readable, 0o644))
	s, err = file.Open(dir)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	assert.Equal(t, os.FileMode(0o644), modeOf(t, readable), "the dead session was forgotten: quick again")
}

// After a crash Open looks at every object file as a full Open does: a
// link planted among them is refused by Open itself, and once it is gone
// a file other users can read is made private before any read.
func TestOpenAfterACrashRefusesAndRepairsAsAFullOpen(t *testing.T) {
	dir, readable := quickPopulated(t)
	// What a process killed mid-write leaves: a session file nobody holds.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sessions/s-crashed"), nil, 0o600))
	outside := filepath.Join(t.TempDir(), "key")
	require.NoError(t, os.WriteFile(outside, []byte(privateKey), 0o600))
	link := plantLink(t, dir, "objects/Secret/ns/b.json", outside)

	_, err := file.Open(dir)
	requireUnsafe(t, err, link)
	assert.Equal(t, os.FileMode(0o644), modeOf(t, readable), "nothing repaired while something is refused")
	require.NoError(t, os.Remove(link))

	s, err := file.Open(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), modeOf(t, readable), "made private by Open")
	require.NoError(t, s.Close())
	assert.NoFileExists(t, filepath.Join(dir, "sessions/s-crashed"))
}

// A Store still open and writing in this process (or another) has no
// write in flight while Open holds the lock: it does not make Open look
// at every file.
func TestQuickOpenBesideALiveWriter(t *testing.T) {
	ctx := testCtx(t)
	dir, readable := quickPopulated(t)
	live := openStore(t, dir)
	require.NoError(t, live.Create(ctx, newSecret("c")))

	s, err := file.Open(dir)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	assert.Equal(t, os.FileMode(0o644), modeOf(t, readable))
	require.NoError(t, live.Create(ctx, newSecret("d")), "the live writer goes on")
}

// A store last opened by a version that kept no sessions cannot tell
// whether a writer died: Open looks at every file.
func TestQuickOpenOfAStoreWithoutSessions(t *testing.T) {
	dir, readable := quickPopulated(t)
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "sessions")))
	tmp := filepath.Join(dir, "objects/Secret/ns/.tmp-old")
	require.NoError(t, os.WriteFile(tmp, []byte(privateKey), 0o600))

	s, err := file.Open(dir)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	assert.NoFileExists(t, tmp)
	assert.Equal(t, os.FileMode(0o600), modeOf(t, readable))
	assert.DirExists(t, filepath.Join(dir, "sessions"), "sessions are kept from now on")
}

// Close removes the session file of a Store that wrote; one that only
// read never made one.
func TestSessionFilesLastAsLongAsTheirStore(t *testing.T) {
	ctx := testCtx(t)
	dir, _ := quickPopulated(t)
	sessions := func() []os.DirEntry {
		entries, err := os.ReadDir(filepath.Join(dir, "sessions"))
		require.NoError(t, err)
		return entries
	}
	require.Empty(t, sessions())
	s, err := file.Open(dir)
	require.NoError(t, err)
	_, err = s.List(ctx, store.ListOptions{})
	require.NoError(t, err)
	assert.Empty(t, sessions(), "a reader writes nothing")
	require.NoError(t, s.Create(ctx, newSecret("c")))
	assert.Len(t, sessions(), 1)
	require.NoError(t, s.Close())
	assert.Empty(t, sessions())
}

// A crash can cut the change log's last line short, which a quick Open
// cuts off as every writer does; a line damaged in the middle is not a
// crash's doing and is left to a full Open (a watcher that meets it is
// told to list again).
func TestQuickOpenReadsTheChangeLogEnd(t *testing.T) {
	ctx := testCtx(t)
	dir, _ := quickPopulated(t)
	logPath := filepath.Join(dir, "changes.log")
	data, err := os.ReadFile(logPath)
	require.NoError(t, err)
	lines := strings.SplitAfter(string(data), "\n")
	require.GreaterOrEqual(t, len(lines), 3, "a header and two changes")
	damaged := lines[0] + "{not json}\n" + strings.Join(lines[1:], "") + `{"rev":99,"type":"Modi`
	require.NoError(t, os.WriteFile(logPath, []byte(damaged), 0o600))

	log, logged := newLogger()
	s, err := file.Open(dir, file.WithLogger(log))
	require.NoError(t, err)
	assert.NotContains(t, logged.String(), "repaired the change log")
	w := newSecret("c")
	require.NoError(t, s.Create(ctx, w))
	assert.Equal(t, "3", w.Metadata.ResourceVersion, "the torn line took no revision")
	require.NoError(t, s.Close())

	s, err = file.Open(dir, file.WithFullOpen(), file.WithLogger(log))
	require.NoError(t, err)
	require.NoError(t, s.Close())
	assert.Contains(t, logged.String(), "repaired the change log", "a full Open reads every line")
}
