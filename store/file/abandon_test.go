package file

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/storetest"
)

func abandonWidget(name string) *storetest.Widget {
	return &storetest.Widget{Kind: meta.KindSecret, Metadata: meta.ObjectMeta{Namespace: "ns", Name: name},
		Data: map[string]string{"tls.key": "secret"}}
}

// lockedElsewhere reports whether another open file description finds
// path's lock taken, as another process would.
func lockedElsewhere(t *testing.T, path string) bool {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	held, err := tryLockFile(f)
	require.NoError(t, err)
	return held
}

// tempFiles lists the temporary files in dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

// removalRefused is a Store whose removals of temporary files fail, as
// they may when permissions change under it (which root cannot be made to
// see).
func removalRefused(t *testing.T, dir string, refused *atomic.Int32) *Store {
	t.Helper()
	s, err := Open(dir, WithoutSync(), func(o *options) {
		o.removingTemp = func(path string) error {
			refused.Add(1)
			return fmt.Errorf("remove %s: %w", path, fs.ErrPermission)
		}
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// blockedDir is where failWrite writes: the namespace directory of the
// store's Secrets, which a full Open looks at.
var blockedDir = objectsDir + "/Secret/ns"

// failWrite makes a write in blockedDir fail after its temporary file was
// written: the rename meets a directory.
func failWrite(t *testing.T, s *Store) error {
	t.Helper()
	return s.exclusive(func() error {
		f, err := s.tree.open(blockedDir, true)
		require.NoError(t, err)
		defer f.close()
		require.NoError(t, f.Mkdir("target", dirPerm))
		return f.writeAtomic("target", []byte("data"))
	})
}

// A write that fails and cannot remove its temporary file (which may hold
// a private key) releases the Store's session at once, leaving its file
// behind as a dead session: another process that opens the store quickly
// while this one still runs looks at every file and removes the temporary
// file. The Store's next write joins a new session.
func TestFailedWriteThatLeavesATemporaryFileReleasesItsSessionAtOnce(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "store")
	var refused atomic.Int32
	s := removalRefused(t, dir, &refused)
	require.NoError(t, s.Create(ctx, abandonWidget("a")))
	require.NotNil(t, s.tree.session, "writing joined a session")
	sessionFile := filepath.Join(dir, sessionsDir, s.tree.session.name)
	require.True(t, lockedElsewhere(t, sessionFile), "locked while the Store may write")

	require.Error(t, failWrite(t, s))
	assert.EqualValues(t, 1, refused.Load(), "the temporary file's removal was refused")
	blocked := filepath.Join(dir, filepath.FromSlash(blockedDir))
	require.Len(t, tempFiles(t, blocked), 1, "the temporary file is left behind")
	assert.Nil(t, s.tree.session)
	assert.FileExists(t, sessionFile, "left as a dead session")
	assert.False(t, lockedElsewhere(t, sessionFile), "released at once, while the Store is open")

	require.NoError(t, os.Remove(filepath.Join(blocked, "target")))
	logs := &bytes.Buffer{}
	other, err := Open(dir, WithQuickOpen(), WithoutSync(), WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	require.NoError(t, err)
	require.NoError(t, other.Close())
	assert.Empty(t, tempFiles(t, blocked), "a quick Open looked at every file and removed it")
	assert.NoFileExists(t, sessionFile)
	assert.Contains(t, logs.String(), "looked at every file")

	require.NoError(t, s.Create(ctx, abandonWidget("b")))
	require.NotNil(t, s.tree.session, "a later write joins a new session")
	assert.NotEqual(t, filepath.Base(sessionFile), s.tree.session.name)
	assert.True(t, lockedElsewhere(t, filepath.Join(dir, sessionsDir, s.tree.session.name)))
}

// A session that cannot be released is reported with the failed write's
// error, not dropped: the lock may still be held, so other processes would
// take the session for a live one.
func TestFailedWriteReportsASessionItCouldNotRelease(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "store")
	var refused atomic.Int32
	s := removalRefused(t, dir, &refused)
	require.NoError(t, s.Create(ctx, abandonWidget("a")))
	name := s.tree.session.name
	require.NoError(t, s.tree.session.file.Close()) // so releasing it fails

	err := failWrite(t, s)
	require.Error(t, err)
	assert.ErrorIs(t, err, os.ErrClosed, "the release's error is part of the write's")
	assert.Contains(t, err.Error(), name)
	assert.Nil(t, s.tree.session)
}

// Close reports every error it meets: the session file's release as well
// as the lock file's close.
func TestCloseReportsEveryError(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "store")
	s, err := Open(dir, WithoutSync())
	require.NoError(t, err)
	require.NoError(t, s.Create(ctx, abandonWidget("a")))
	session := s.tree.session.file.Name()
	require.NoError(t, s.tree.session.file.Close())
	require.NoError(t, s.lockFile.Close())
	lock := s.lockFile.Name()

	err = s.Close()
	require.Error(t, err)
	assert.Contains(t, err.Error(), session, "the session file's error")
	assert.Contains(t, err.Error(), lock, "the lock file's error")
}
