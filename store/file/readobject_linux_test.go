package file

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReadSizedSeesAFileChangedSinceItsFstat reads a file with readSized
// told a size other than the file's, as when another program writes the
// file in place between the fstat and the read: a file longer or shorter
// than that size is errChangedWhileRead, never its first bytes returned
// as the whole (which would then fail to decode as a corrupt object).
func TestReadSizedSeesAFileChangedSinceItsFstat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.json")
	content := []byte(`{"kind":"Secret"}`)
	require.NoError(t, os.WriteFile(path, content, 0o600))
	for _, tc := range []struct {
		name    string
		size    int // what fstat said
		changed bool
	}{
		{"unchanged", len(content), false},
		{"grew since", len(content) - 3, true},
		{"shrank since", len(content) + 3, true},
		{"was empty", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
			require.NoError(t, err)
			defer func() { _ = syscall.Close(fd) }()
			data, err := readSized(fd, path, tc.size, make([]byte, 0, 4))
			if tc.changed {
				require.ErrorIs(t, err, errChangedWhileRead)
				require.Nil(t, data)
				return
			}
			require.NoError(t, err)
			require.Equal(t, content, data)
		})
	}
}
