package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A key written over a file readable by all is 0600 afterwards, and one
// written where a link was planted lands in the directory, not where the
// link points.
func TestReplaceFile_KeyIsPrivateWhateverWasThere(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "tls.key")
	require.NoError(t, os.WriteFile(key, []byte("old"), 0o644))
	require.NoError(t, replaceFile(key, []byte("PRIVATE"), 0o600))
	fi, err := os.Lstat(key)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "a key file left readable by all")
	got, err := os.ReadFile(key)
	require.NoError(t, err)
	assert.Equal(t, "PRIVATE", string(got))

	elsewhere := filepath.Join(t.TempDir(), "elsewhere")
	planted := filepath.Join(dir, "planted.key")
	require.NoError(t, os.Symlink(elsewhere, planted))
	require.NoError(t, replaceFile(planted, []byte("PRIVATE"), 0o600))
	_, err = os.Stat(elsewhere)
	assert.ErrorIs(t, err, os.ErrNotExist, "the key followed a planted link")
	fi, err = os.Lstat(planted)
	require.NoError(t, err)
	assert.True(t, fi.Mode().IsRegular(), "the link is replaced by the key file")
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 2, "no temporary file is left behind")
}
