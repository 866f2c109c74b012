package file_test

import (
	"context"
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

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func objectFile(dir string, w *storetest.Widget) string {
	return filepath.Join(dir, "objects", string(w.Kind), w.Metadata.Namespace, w.Metadata.Name+".json")
}

func TestPermissions(t *testing.T) {
	ctx := testCtx(t)
	dir := filepath.Join(t.TempDir(), "store")
	s := openStore(t, dir)
	secret := &storetest.Widget{Kind: meta.KindSecret, Metadata: meta.ObjectMeta{Namespace: "ns", Name: "tls"}, Data: map[string]string{"tls.key": "k"}}
	require.NoError(t, s.Create(ctx, secret))
	require.NoError(t, s.Create(ctx, &storetest.Widget{Kind: meta.KindClusterIssuer, Metadata: meta.ObjectMeta{Name: "ci"}}))
	_, err := s.Acquire(ctx, "leader", "me", time.Minute)
	require.NoError(t, err)

	info, err := os.Stat(objectFile(dir, secret))
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), info.Mode().Perm(), "secret file")
	var files, dirs int
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		info, err := d.Info()
		require.NoError(t, err)
		if d.IsDir() {
			dirs++
			assert.Equal(t, fs.FileMode(0o700), info.Mode().Perm(), path)
		} else {
			files++
			assert.Equal(t, fs.FileMode(0o600), info.Mode().Perm(), path)
		}
		return nil
	}))
	assert.GreaterOrEqual(t, files, 5, "lock, log, two objects, one lease")
	assert.GreaterOrEqual(t, dirs, 6)
}

func TestAtomicWritesLeaveNoTempFiles(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	s := openStore(t, dir, file.WithHistory(3)) // small history: trims rewrite the log too
	for i := range 10 {
		w := storetest.NewWidget("ns", "w"+string(rune('a'+i)), map[string]string{"i": "x"})
		require.NoError(t, s.Create(ctx, w))
		require.NoError(t, s.Update(ctx, w))
		if i%2 == 0 {
			require.NoError(t, s.Delete(ctx, w.Ref(), w.Metadata.ResourceVersion))
		}
		l, err := s.Acquire(ctx, "lock", "me", time.Minute)
		require.NoError(t, err)
		require.NoError(t, s.Release(ctx, l))
	}
	var names []string
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		if strings.HasPrefix(d.Name(), ".") {
			names = append(names, path)
		}
		return nil
	}))
	assert.Empty(t, names, "temporary files left behind")
	res, err := s.List(ctx, store.ListOptions{})
	require.NoError(t, err)
	assert.Len(t, res.Items, 5)
}

func TestCorruptFileIsNamedAndOthersStillLoad(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	s := openStore(t, dir)
	var ws []*storetest.Widget
	for _, name := range []string{"a", "b", "c"} {
		w := storetest.NewWidget("ns", name, nil)
		require.NoError(t, s.Create(ctx, w))
		ws = append(ws, w)
	}
	bad := objectFile(dir, ws[1])
	require.NoError(t, os.WriteFile(bad, []byte(`{"kind":"Widget","metadata":{`), 0o600))

	err := s.Get(ctx, ws[1].Ref(), &storetest.Widget{})
	require.ErrorIs(t, err, store.ErrCorrupt)
	assert.Contains(t, err.Error(), bad)
	require.NoError(t, s.Get(ctx, ws[0].Ref(), &storetest.Widget{}))

	res, err := s.List(ctx, store.ListOptions{Kind: storetest.KindWidget})
	require.ErrorIs(t, err, store.ErrCorrupt)
	assert.Contains(t, err.Error(), bad)
	var corrupt *store.CorruptError
	require.ErrorAs(t, err, &corrupt, "the error names the unreadable object")
	assert.Equal(t, ws[1].Ref(), corrupt.Ref)
	assert.Equal(t, bad, corrupt.Where)
	require.Len(t, res.Items, 2)
	assert.Equal(t, "a", res.Items[0].Ref.Name)
	assert.Equal(t, "c", res.Items[1].Ref.Name)

	assert.ErrorIs(t, s.Update(ctx, ws[1]), store.ErrCorrupt)
	assert.ErrorIs(t, s.Delete(ctx, ws[1].Ref(), ws[1].Metadata.ResourceVersion), store.ErrCorrupt,
		"a conditional delete cannot check a corrupt file")
	require.NoError(t, s.Delete(ctx, ws[1].Ref(), ""), "an unconditional delete clears it")
	_, err = s.List(ctx, store.ListOptions{})
	assert.NoError(t, err)
}

func TestPathTraversalIsRejected(t *testing.T) {
	ctx := testCtx(t)
	parent := t.TempDir()
	s := openStore(t, filepath.Join(parent, "store"))
	for _, ref := range []meta.Ref{
		{Kind: storetest.KindWidget, Namespace: "ns", Name: "../../../escape"},
		{Kind: storetest.KindWidget, Namespace: "..", Name: "escape"},
		{Kind: storetest.KindWidget, Namespace: "ns", Name: "a/../../escape"},
		{Kind: "../..", Namespace: "ns", Name: "escape"},
		{Kind: storetest.KindWidget, Namespace: "ns", Name: "/etc/passwd"},
		{Kind: storetest.KindWidget, Namespace: "ns", Name: "esc\x00ape"},
	} {
		w := &storetest.Widget{Kind: ref.Kind, Metadata: meta.ObjectMeta{Namespace: ref.Namespace, Name: ref.Name}}
		assert.ErrorIs(t, s.Create(ctx, w), store.ErrInvalid, "%q", ref)
		assert.ErrorIs(t, s.Get(ctx, ref, &storetest.Widget{}), store.ErrInvalid, "%q", ref)
		assert.ErrorIs(t, s.Delete(ctx, ref, ""), store.ErrInvalid, "%q", ref)
	}
	_, err := s.List(ctx, store.ListOptions{Namespace: "../.."})
	assert.ErrorIs(t, err, store.ErrInvalid)
	_, err = s.List(ctx, store.ListOptions{Kind: "../objects"})
	assert.ErrorIs(t, err, store.ErrInvalid)
	_, err = s.Acquire(ctx, "../../escape", "me", time.Minute)
	assert.ErrorIs(t, err, store.ErrInvalid)

	entries, err := os.ReadDir(parent)
	require.NoError(t, err)
	require.Len(t, entries, 1, "nothing written beside the store")
	assert.Equal(t, "store", entries[0].Name())
}
