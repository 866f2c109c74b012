package file_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
	"github.com/certflow/certflow/store/storetest"
)

// A directory another process replaces while the store is open (moved
// away, a new one made in its place) is read and written afresh: the
// store reads nothing more through the directory it had open before.
func TestReplacedDirectoryIsReadAfresh(t *testing.T) {
	for _, rel := range []string{"objects/Widget/ns", "objects/Widget"} {
		t.Run(rel, func(t *testing.T) {
			ctx := testCtx(t)
			dir, outside := t.TempDir(), t.TempDir()
			s := openStore(t, dir)
			old := storetest.NewWidget("ns", "old", nil)
			require.NoError(t, s.Create(ctx, old))
			require.NoError(t, s.Get(ctx, old.Ref(), &storetest.Widget{}), "read once, its directories held")

			moved := filepath.Join(outside, "moved")
			require.NoError(t, os.Rename(filepath.Join(dir, rel), moved))
			require.NoError(t, os.Mkdir(filepath.Join(dir, rel), 0o700))

			err := s.Get(ctx, old.Ref(), &storetest.Widget{})
			require.ErrorIs(t, err, store.ErrNotFound, "the new directory holds nothing")
			fresh := storetest.NewWidget("ns", "fresh", nil)
			require.NoError(t, s.Create(ctx, fresh))
			assert.FileExists(t, objectFile(dir, fresh), "written in the new directory")
			assert.Empty(t, findFiles(t, moved, "fresh.json"), "nothing written in the one moved away")
		})
	}
}

// findFiles returns the paths under dir of the files called name.
func findFiles(t *testing.T, dir, name string) []string {
	t.Helper()
	var found []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Name() == name {
			found = append(found, p)
		}
		return err
	}))
	return found
}

// The directories a store keeps open between reads are bounded, however
// many namespaces it reads, and all closed by Close.
func TestHeldDirectoriesAreBoundedAndClosed(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("counts descriptors in /proc/self/fd")
	}
	ctx := testCtx(t)
	dir := t.TempDir()
	s, err := file.Open(dir, file.WithoutSync())
	require.NoError(t, err)
	const namespaces = 3 * file.MaxHeldDirs
	most := 0
	for i := range namespaces {
		w := storetest.NewWidget(fmt.Sprintf("ns%d", i), "w", nil)
		require.NoError(t, s.Create(ctx, w))
		require.NoError(t, s.Get(ctx, w.Ref(), &storetest.Widget{}))
		most = max(most, file.OpenDescriptors(t, dir))
	}
	// Two for each held directory (its os.Root and its dirFile), and a few of
	// the store's own (the lock file, its directory, the change log).
	assert.LessOrEqual(t, most, 2*file.MaxHeldDirs+8, "descriptors held while reading %d namespaces", namespaces)
	assert.Greater(t, most, 8, "directories are held at all")
	require.NoError(t, s.Close())
	assert.Zero(t, file.OpenDescriptors(t, dir), "descriptors left open after Close")
}
