//go:build unix

package file_test

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
	"github.com/certflow/certflow/store/storetest"
)

// requireUnsafe checks that err is the store's refusal of path.
func requireUnsafe(t *testing.T, err error, path string) {
	t.Helper()
	require.ErrorIs(t, err, file.ErrUnsafePath)
	var unsafe *file.UnsafePathError
	require.ErrorAs(t, err, &unsafe)
	assert.Equal(t, path, unsafe.Path)
	assert.Contains(t, err.Error(), path, "the message names the path")
}

// TestCreateRefusesLinks plants a link where Create would write a Secret,
// or its change log entry, and checks that nothing lands outside.
func TestCreateRefusesLinks(t *testing.T) {
	for _, tc := range []struct {
		name, rel string
		file      bool // the link stands for a file, not a directory
		object    bool // an object file, looked at by a full Open only
	}{
		{name: "objects dir", rel: "objects"},
		{name: "kind dir", rel: "objects/Secret"},
		{name: "namespace dir", rel: "objects/Secret/ns"},
		{name: "object file", rel: "objects/Secret/ns/tls.json", file: true, object: true},
		{name: "change log", rel: "changes.log", file: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			dir, outside := t.TempDir(), t.TempDir()
			s := openStore(t, dir)
			target := outside
			if tc.file {
				target = filepath.Join(outside, "target")
				require.NoError(t, os.WriteFile(target, nil, 0o600))
			}
			link := plantLink(t, dir, tc.rel, target)
			before := snapshot(t, outside)

			requireUnsafe(t, s.Create(ctx, newSecret("tls")), link)
			assert.Equal(t, before, snapshot(t, outside), "nothing written outside the store")

			require.NoError(t, s.Close())
			_, err := file.Open(dir, file.WithFullOpen())
			requireUnsafe(t, err, link)
			s, err = file.Open(dir)
			if tc.object {
				require.NoError(t, err, "a quick Open looks at no object file")
				requireUnsafe(t, s.Get(ctx, newSecret("tls").Ref(), &storetest.Widget{}), link)
				_, err = s.List(ctx, store.ListOptions{})
				requireUnsafe(t, err, link)
				require.NoError(t, s.Close())
			} else {
				requireUnsafe(t, err, link)
			}
			assert.Equal(t, before, snapshot(t, outside))
		})
	}
}

// TestExistingObjectBehindLinkIsRefused moves a stored Secret outside and
// links to it: the store must neither read it there nor write it there.
func TestExistingObjectBehindLinkIsRefused(t *testing.T) {
	for _, tc := range []struct{ name, rel string }{
		{"namespace dir", "objects/Secret/ns"},
		{"kind dir", "objects/Secret"},
		{"object file", "objects/Secret/ns/tls.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			dir, outside := t.TempDir(), t.TempDir()
			s := openStore(t, dir)
			secret := newSecret("tls")
			require.NoError(t, s.Create(ctx, secret))
			require.NoError(t, s.Create(ctx, storetest.NewWidget("other", "w", nil)))
			moved := filepath.Join(outside, "moved")
			require.NoError(t, os.Rename(filepath.Join(dir, tc.rel), moved))
			link := plantLink(t, dir, tc.rel, moved)
			before := snapshot(t, outside)

			requireUnsafe(t, s.Get(ctx, secret.Ref(), &storetest.Widget{}), link)
			secret.Data["tls.key"] = "a new key"
			requireUnsafe(t, s.Update(ctx, secret), link)
			requireUnsafe(t, s.Delete(ctx, secret.Ref(), ""), link)
			res, err := s.List(ctx, store.ListOptions{})
			requireUnsafe(t, err, link)
			require.Len(t, res.Items, 1, "the objects that are safe to read are still listed")
			assert.Equal(t, "w", res.Items[0].Ref.Name)
			assert.Equal(t, before, snapshot(t, outside), "nothing written outside the store")
		})
	}
}

func TestLinkInsideTheStoreIsRefusedToo(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	s := openStore(t, dir)
	require.NoError(t, s.Create(ctx, storetest.NewWidget("real", "w", nil)))
	// Aliasing one namespace to another would mix their objects.
	link := plantLink(t, dir, "objects/Widget/alias", filepath.Join(dir, "objects/Widget/real"))
	requireUnsafe(t, s.Create(ctx, storetest.NewWidget("alias", "x", nil)), link)
	_, err := os.Stat(filepath.Join(dir, "objects/Widget/real/x.json"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestAcquireRefusesLinkedLeaseDir(t *testing.T) {
	ctx := testCtx(t)
	dir, outside := t.TempDir(), t.TempDir()
	s := openStore(t, dir)
	link := plantLink(t, dir, "leases", outside)
	_, err := s.Acquire(ctx, "leader", "me", time.Minute)
	requireUnsafe(t, err, link)
	assert.Empty(t, snapshot(t, outside)["leader.json"])
}

func TestStoreDirItselfMayBeALink(t *testing.T) {
	ctx := testCtx(t)
	real := t.TempDir()
	dir := filepath.Join(t.TempDir(), "store")
	require.NoError(t, os.Symlink(real, dir))
	s := openStore(t, dir)
	secret := newSecret("tls")
	require.NoError(t, s.Create(ctx, secret))
	got := &storetest.Widget{}
	require.NoError(t, s.Get(ctx, meta.RefOf(secret), got))
	assert.Equal(t, privateKey, got.Data["tls.key"])
	_, err := os.Stat(filepath.Join(real, "objects/Secret/ns/tls.json"))
	assert.NoError(t, err, "the operator's link to the store directory is followed")
}

// TestSpecialObjectFilesAreRefused plants a FIFO, a Unix socket and a
// directory where object files belong: reading refuses them (a FIFO
// without blocking on it, as opening one for reading otherwise does until
// a writer comes; a socket, which openat cannot open at all, by name), and
// a List still returns every other object.
func TestSpecialObjectFilesAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		plant  func(t *testing.T, path string) error
		listed bool // a List reports it (a directory is a stranger it skips)
	}{
		{"fifo", func(_ *testing.T, path string) error { return unix.Mkfifo(path, 0o600) }, true},
		{"socket", func(t *testing.T, path string) error {
			l, err := net.Listen("unix", path)
			if err == nil {
				t.Cleanup(func() { _ = l.Close() })
			}
			return err
		}, true},
		{"directory", func(_ *testing.T, path string) error { return os.Mkdir(path, 0o700) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			// A short directory: a socket's path must fit in 108 bytes.
			dir, err := os.MkdirTemp("", "cf")
			require.NoError(t, err)
			t.Cleanup(func() { _ = os.RemoveAll(dir) })
			s := openStore(t, dir)
			a, b := newSecret("a"), newSecret("b")
			require.NoError(t, s.Create(ctx, a))
			require.NoError(t, s.Create(ctx, b))
			planted := objectFile(dir, b)
			require.NoError(t, os.Remove(planted))
			require.NoError(t, tc.plant(t, planted))

			done := make(chan error, 1)
			go func() { done <- s.Get(ctx, b.Ref(), &storetest.Widget{}) }()
			select {
			case err := <-done:
				requireUnsafe(t, err, planted)
			case <-time.After(time.Minute): // only if the open blocks
				t.Fatal("Get blocked on the planted file")
			}
			res, err := s.List(ctx, store.ListOptions{Kind: meta.KindSecret})
			if tc.listed {
				requireUnsafe(t, err, planted)
			} else {
				require.NoError(t, err)
			}
			require.Len(t, res.Items, 1)
			assert.Equal(t, "a", res.Items[0].Ref.Name)
		})
	}
}
