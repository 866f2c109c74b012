package file_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
	"github.com/certflow/certflow/store/storetest"
)

// An object of a batch that cannot be created fails alone, as its Create
// would, and takes no revision: a name already stored, a name an object
// before it in the same batch (and turn) took, a link planted where its
// file would go (refused, not followed) and an invalid name. The others
// are created with consecutive revisions, in order.
func TestCreateBatchFailsOnlyTheObjectsThatCannotBeCreated(t *testing.T) {
	ctx := testCtx(t)
	dir := filepath.Join(t.TempDir(), "store")
	s := openStore(t, dir)
	stored := newSecret("stored")
	require.NoError(t, s.Create(ctx, stored))
	outside := filepath.Join(t.TempDir(), "target")
	require.NoError(t, os.WriteFile(outside, []byte("not the store's"), 0o600))
	link := plantLink(t, dir, "objects/Secret/ns/linked.json", outside)

	again, twin, linked := newSecret("stored"), newSecret("b"), newSecret("linked")
	invalid := newSecret("a/b")
	objs := []meta.Object{newSecret("a"), again, newSecret("b"), twin, linked, invalid, newSecret("c")}
	errs := make([]error, len(objs))
	s.CreateBatch(ctx, objs, errs)

	assert.ErrorIs(t, errs[1], store.ErrAlreadyExists, "already stored")
	assert.ErrorIs(t, errs[3], store.ErrAlreadyExists, "created earlier in the batch")
	assert.ErrorIs(t, errs[4], file.ErrUnsafePath)
	assert.Contains(t, fmt.Sprint(errs[4]), link)
	assert.ErrorIs(t, errs[5], store.ErrInvalid)
	for _, w := range []*storetest.Widget{again, twin, linked, invalid} {
		assert.Empty(t, w.Metadata.ResourceVersion, "%s: a failed create leaves the object unchanged", w.Ref())
		assert.Empty(t, w.Metadata.UID, "%s: a failed create leaves the object unchanged", w.Ref())
	}
	want := rv(t, stored)
	for _, i := range []int{0, 2, 6} {
		require.NoError(t, errs[i])
		w := objs[i].(*storetest.Widget)
		want++
		assert.Equal(t, want, rv(t, w), "%s: the next revision; failures took none", w.Ref())
		got := &storetest.Widget{}
		require.NoError(t, s.Get(ctx, w.Ref(), got))
		assert.Equal(t, w, got)
	}
	got := &storetest.Widget{}
	require.NoError(t, s.Get(ctx, stored.Ref(), got))
	assert.Equal(t, stored, got, "the stored object is untouched")
	data, err := os.ReadFile(outside)
	require.NoError(t, err)
	assert.Equal(t, "not the store's", string(data), "the link was not followed")
	fi, err := os.Lstat(link)
	require.NoError(t, err)
	assert.Equal(t, os.ModeSymlink, fi.Mode().Type(), "the link was left in place")
}
