//go:build unix

package file_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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
// nothing and says what is wrong. An object file is refused by a full
// Open and, since Open does not look at object files unless asked to or
// after a crash, by every operation that meets it (see
// TestQuickOpenLooksAtNoObjectFileAfterCleanCloses).
func TestOpenRefusesWhatOthersCanWrite(t *testing.T) {
	for _, tc := range []struct {
		name, rel string
		mode      fs.FileMode
		object    bool // looked at by a full Open only
	}{
		{name: "store dir", rel: ".", mode: 0o777},
		{name: "kind dir", rel: "objects/Secret", mode: 0o770},
		{name: "namespace dir", rel: "objects/Secret/ns", mode: 0o707},
		{name: "secret file", rel: "objects/Secret/ns/tls.json", mode: 0o666, object: true},
		{name: "change log", rel: "changes.log", mode: 0o620},
		{name: "lease file", rel: "leases/leader.json", mode: 0o602},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			dir := populated(t)
			path := filepath.Clean(filepath.Join(dir, tc.rel))
			require.NoError(t, os.Chmod(path, tc.mode))
			_, err := file.Open(dir, file.WithFullOpen())
			requireUnsafe(t, err, path)
			assert.Contains(t, err.Error(), fmt.Sprintf("%04o", tc.mode), "the message shows the mode")
			assert.Contains(t, err.Error(), "writable")
			assert.Equal(t, tc.mode, modeOf(t, path), "left for the operator to judge")

			s, err := file.Open(dir)
			if !tc.object {
				requireUnsafe(t, err, path)
				return
			}
			require.NoError(t, err, "a quick Open looks at no object file")
			defer func() { require.NoError(t, s.Close()) }()
			requireUnsafe(t, s.Get(ctx, newSecret("tls").Ref(), &storetest.Widget{}), path)
			_, err = s.List(ctx, store.ListOptions{})
			requireUnsafe(t, err, path)
			assert.Equal(t, tc.mode, modeOf(t, path), "left for the operator to judge")
		})
	}
}

// TestOpenTightensWhatOthersCanRead: nothing can have been planted, but a
// key may have been read; the store makes it private again and says so,
// so the operator can decide whether to rotate. Directories are made
// private by Open; an object file by a full Open, and otherwise by the
// first read of it (a Manager lists every object as it starts).
func TestOpenTightensWhatOthersCanRead(t *testing.T) {
	reads := []struct {
		name string
		read func(ctx context.Context, t *testing.T, s *file.Store)
	}{
		{"get", func(ctx context.Context, t *testing.T, s *file.Store) {
			require.NoError(t, s.Get(ctx, newSecret("tls").Ref(), &storetest.Widget{}))
		}},
		{"list", func(ctx context.Context, t *testing.T, s *file.Store) {
			res, err := s.List(ctx, store.ListOptions{Kind: meta.KindSecret})
			require.NoError(t, err)
			require.Len(t, res.Items, 1)
		}},
		{"full open", nil},
	}
	for _, tc := range []struct {
		name, rel  string
		mode, want fs.FileMode
		object     bool // made private when first read, unless by a full Open
	}{
		{name: "store dir", rel: ".", mode: 0o755, want: 0o700},
		{name: "namespace dir", rel: "objects/Secret/ns", mode: 0o750, want: 0o700},
		{name: "secret file", rel: "objects/Secret/ns/tls.json", mode: 0o644, want: 0o600, object: true},
		{name: "secret file readable by group", rel: "objects/Secret/ns/tls.json", mode: 0o640, want: 0o600, object: true},
		{name: "secret file readable by others only", rel: "objects/Secret/ns/tls.json", mode: 0o604, want: 0o600, object: true},
	} {
		for _, r := range reads {
			t.Run(tc.name+"/"+r.name, func(t *testing.T) {
				ctx := testCtx(t)
				dir := populated(t)
				path := filepath.Clean(filepath.Join(dir, tc.rel))
				require.NoError(t, os.Chmod(path, tc.mode))
				log, logged := newLogger()
				opts := []file.Option{file.WithLogger(log)}
				if r.read == nil {
					opts = append(opts, file.WithFullOpen())
				}
				s := openStore(t, dir, opts...)
				if tc.object && r.read != nil {
					assert.Equal(t, tc.mode, modeOf(t, path), "a quick Open does not look at object files")
					r.read(ctx, t, s)
				}
				assert.Equal(t, tc.want, modeOf(t, path))
				assert.Contains(t, logged.String(), path)
				assert.Contains(t, logged.String(), fmt.Sprintf("%04o", tc.mode))
				assert.NotContains(t, logged.String(), "PRIVATE KEY", "no key material in the log")
				got := &storetest.Widget{}
				require.NoError(t, s.Get(ctx, newSecret("tls").Ref(), got))
				assert.Equal(t, privateKey, got.Data["tls.key"])
				assert.Equal(t, 1, strings.Count(logged.String(), path), "repaired once: later reads find nothing to do")
			})
		}
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

// A full Open looks at a big directory's files on several goroutines: what it
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
	_, err = file.Open(dir, file.WithFullOpen())
	requireUnsafe(t, err, writable)
	require.NoError(t, os.Chmod(writable, 0o600))

	require.NoError(t, os.Chmod(readable, 0o644))
	log, logged := newLogger()
	s = openStore(t, dir, file.WithFullOpen(), file.WithLogger(log))
	assert.Equal(t, fs.FileMode(0o600), modeOf(t, readable), "made private by Open, before any read")
	assert.Contains(t, logged.String(), readable)
	_, err = os.Lstat(tmp)
	assert.ErrorIs(t, err, fs.ErrNotExist, "the temporary file of an interrupted write is removed")
	res, err := s.List(ctx, store.ListOptions{Kind: meta.KindSecret})
	require.NoError(t, err)
	assert.Len(t, res.Items, n)
}
