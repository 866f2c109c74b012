package file_test

import (
	"io/fs"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
	"github.com/certflow/certflow/store/storetest"
)

// An object file the store's user cannot open (mode 0o000; run as a user
// without CAP_DAC_OVERRIDE) is an I/O failure, fs.ErrPermission, as before
// eeb04d5: not an unsafe path "replaced" after eight attempts, which a List
// reports as one bad object and goes on without it.
func TestUnreadableObjectFileIsAPermissionError(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root opens a mode 0o000 file; run this binary as another user")
	}
	ctx := testCtx(t)
	dir := t.TempDir()
	s := openStore(t, dir)
	a := newSecret("a")
	require.NoError(t, s.Create(ctx, a))
	require.NoError(t, os.Chmod(objectFile(dir, a), 0))

	err := s.Get(ctx, a.Ref(), &storetest.Widget{})
	require.ErrorIs(t, err, fs.ErrPermission)
	require.NotErrorIs(t, err, file.ErrUnsafePath)

	_, err = s.List(ctx, store.ListOptions{Kind: meta.KindSecret})
	require.ErrorIs(t, err, fs.ErrPermission)
	require.NotErrorIs(t, err, file.ErrUnsafePath)
}
