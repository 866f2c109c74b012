//go:build unix

package file_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
	"github.com/certflow/certflow/store/storetest"
)

// populated returns a closed store directory holding a Secret and a lease.
func populated(t *testing.T) string {
	t.Helper()
	ctx := testCtx(t)
	dir := filepath.Join(t.TempDir(), "store")
	s, err := file.Open(dir)
	require.NoError(t, err)
	require.NoError(t, s.Create(ctx, newSecret("tls")))
	_, err = s.Acquire(ctx, "leader", "me", time.Hour)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	return dir
}

func modeOf(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	return fi.Mode().Perm()
}

// TestOpenRefusesWhatOthersCanWrite: another user could have planted or
// altered objects, which only the operator can judge, so Open changes
// nothing and says what is wrong.
func TestOpenRefusesWhatOthersCanWrite(t *testing.T) {
	for _, tc := range []struct {
		name, rel string
		mode      fs.FileMode
	}{
		{"store dir", ".", 0o777},
		{"kind dir", "objects/Secret", 0o770},
		{"namespace dir", "objects/Secret/ns", 0o707},
		{"secret file", "objects/Secret/ns/tls.json", 0o666},
		{"change log", "changes.log", 0o620},
		{"lease file", "leases/leader.json", 0o602},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := populated(t)
			path := filepath.Join(dir, tc.rel)
			require.NoError(t, os.Chmod(path, tc.mode))
			_, err := file.Open(dir)
			requireUnsafe(t, err, filepath.Clean(path))
			assert.Contains(t, err.Error(), fmt.Sprintf("%04o", tc.mode), "the message shows the mode")
			assert.Contains(t, err.Error(), "writable")
			assert.Equal(t, tc.mode, modeOf(t, path), "left for the operator to judge")
		})
	}
}

// TestOpenTightensWhatOthersCanRead: nothing can have been planted, but a
// key may have been read; Open makes it private again and says so, so the
// operator can decide whether to rotate.
func TestOpenTightensWhatOthersCanRead(t *testing.T) {
	for _, tc := range []struct {
		name, rel  string
		mode, want fs.FileMode
	}{
		{"store dir", ".", 0o755, 0o700},
		{"namespace dir", "objects/Secret/ns", 0o750, 0o700},
		{"secret file", "objects/Secret/ns/tls.json", 0o644, 0o600},
		{"secret file readable by group", "objects/Secret/ns/tls.json", 0o640, 0o600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			dir := populated(t)
			path := filepath.Clean(filepath.Join(dir, tc.rel))
			require.NoError(t, os.Chmod(path, tc.mode))
			log, logged := newLogger()
			s := openStore(t, dir, file.WithLogger(log))
			assert.Equal(t, tc.want, modeOf(t, path))
			assert.Contains(t, logged.String(), path)
			assert.Contains(t, logged.String(), fmt.Sprintf("%04o", tc.mode))
			got := &storetest.Widget{}
			require.NoError(t, s.Get(ctx, newSecret("tls").Ref(), got))
			assert.Equal(t, privateKey, got.Data["tls.key"])
		})
	}
}

func TestWritableDirectoryFoundWhileOpenIsRefused(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	s := openStore(t, dir)
	secret := newSecret("tls")
	require.NoError(t, s.Create(ctx, secret))
	nsDir := filepath.Join(dir, "objects/Secret/ns")
	require.NoError(t, os.Chmod(nsDir, 0o777))
	requireUnsafe(t, s.Update(ctx, secret), nsDir)
	requireUnsafe(t, s.Get(ctx, secret.Ref(), &storetest.Widget{}), nsDir)
}

// Open looks at a big directory's files on several goroutines: what it
// refuses, tightens and removes there is what it would one by one, wherever
// in the directory the file is.
func TestOpenInspectsEveryFileOfABigDirectory(t *testing.T) {
	ctx := testCtx(t)
	dir := filepath.Join(t.TempDir(), "store")
	s, err := file.Open(dir, file.WithoutSync())
	require.NoError(t, err)
	const n = 1100 // several goroutines' worth
	for i := range n {
		require.NoError(t, s.Create(ctx, newSecret(fmt.Sprintf("s%04d", i))))
	}
	require.NoError(t, s.Close())
	nsDir := filepath.Join(dir, "objects/Secret/ns")
	readable := filepath.Join(nsDir, "s0007.json")
	writable := filepath.Join(nsDir, fmt.Sprintf("s%04d.json", n-3))
	tmp := filepath.Join(nsDir, ".tmp-interrupted")
	require.NoError(t, os.WriteFile(tmp, []byte("half a key"), 0o600))

	require.NoError(t, os.Chmod(writable, 0o662))
	_, err = file.Open(dir)
	requireUnsafe(t, err, writable)
	require.NoError(t, os.Chmod(writable, 0o600))

	require.NoError(t, os.Chmod(readable, 0o644))
	log, logged := newLogger()
	s = openStore(t, dir, file.WithLogger(log))
	assert.Equal(t, fs.FileMode(0o600), modeOf(t, readable))
	assert.Contains(t, logged.String(), readable)
	_, err = os.Lstat(tmp)
	assert.ErrorIs(t, err, fs.ErrNotExist, "the temporary file of an interrupted write is removed")
	res, err := s.List(ctx, store.ListOptions{Kind: meta.KindSecret})
	require.NoError(t, err)
	assert.Len(t, res.Items, n)
}
