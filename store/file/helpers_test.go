package file_test

import (
	"bytes"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/storetest"
)

// privateKey is what a Secret holds; it must never land outside the store.
const privateKey = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n"

func newSecret(name string) *storetest.Widget {
	return &storetest.Widget{
		Kind:     meta.KindSecret,
		Metadata: meta.ObjectMeta{Namespace: "ns", Name: name},
		Data:     map[string]string{"tls.key": privateKey},
	}
}

// logBuffer collects what a store logs, for tests that check it said so.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newLogger() (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

// snapshot returns every path under dir with its content ("dir" for
// directories, the link target for links), to show that nothing changed.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		rel, err := filepath.Rel(dir, path)
		require.NoError(t, err)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			require.NoError(t, err)
			out[rel] = "link to " + target
		case d.IsDir():
			out[rel] = "dir"
		default:
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			out[rel] = string(data)
		}
		return nil
	}))
	return out
}

// plantLink replaces rel inside dir by a symbolic link to target.
func plantLink(t *testing.T, dir, rel, target string) string {
	t.Helper()
	path := filepath.Join(dir, rel)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
	require.NoError(t, os.RemoveAll(path))
	require.NoError(t, os.Symlink(target, path))
	return path
}
