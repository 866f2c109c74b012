//go:build unix

package certflow

import (
	"context"
	"encoding/base64"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
)

// fullListSeen hands the test what the object files were the moment the
// Manager's first full List returned, before anything it decided on that
// list can have rewritten them.
type fullListSeen struct {
	store.Store
	paths []string
	seen  chan []fs.FileInfo
}

func (s *fullListSeen) List(ctx context.Context, opts store.ListOptions) (store.ListResult, error) {
	res, err := s.Store.List(ctx, opts)
	if opts.Kind == "" && opts.Namespace == "" {
		infos := make([]fs.FileInfo, len(s.paths))
		for i, p := range s.paths {
			infos[i], _ = os.Lstat(p)
		}
		select {
		case s.seen <- infos:
		default: // a later list
		}
	}
	return res, err
}

// The file store's Open no longer looks at each object file: a Manager
// starting on a store whose files other users can read makes each private
// with the list it starts from, in place (the same file, not a rewrite),
// and the log names each path without its contents.
func TestRestartOnAFileStoreMakesEveryObjectFilePrivate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "store")
	st, err := file.Open(dir, file.WithoutSync())
	require.NoError(t, err)
	objs := []meta.Object{
		tlsSecret(t, "web-tls", "web.example.test"),
		testrig.CAIssuer("default", "ca", "ca-key"),
	}
	var paths []string
	for _, o := range objs {
		require.NoError(t, st.Create(ctx, o))
		ref := meta.RefOf(o)
		p := filepath.Join(dir, "objects", string(ref.Kind), ref.Namespace, ref.Name+".json")
		require.NoError(t, os.Chmod(p, 0o644))
		paths = append(paths, p)
	}
	require.NoError(t, st.Close())
	before := make([]fs.FileInfo, len(paths))
	for i, p := range paths {
		before[i], err = os.Lstat(p)
		require.NoError(t, err)
	}

	logged := &testrig.Buffer{}
	st, err = file.Open(dir, file.WithoutSync(), file.WithLogger(slog.New(slog.NewTextHandler(logged, nil))))
	require.NoError(t, err)
	defer func() { require.NoError(t, st.Close()) }()
	for _, p := range paths {
		require.Equal(t, fs.FileMode(0o644), modePerm(t, p), "Open does not look at object files")
	}
	wrapped := &fullListSeen{Store: st, paths: paths, seen: make(chan []fs.FileInfo, 1)}
	m, err := New(Config{Store: wrapped})
	require.NoError(t, err)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = m.Run(runCtx) }()
	var seen []fs.FileInfo
	select {
	case seen = <-wrapped.seen:
	case <-ctx.Done():
	}
	stop()
	<-done

	require.NotNil(t, seen, "the Manager never listed the store")
	for i, p := range paths {
		require.NotNil(t, seen[i], p)
		assert.True(t, os.SameFile(before[i], seen[i]), "%s made private in place, not rewritten", p)
		assert.Equal(t, fs.FileMode(0o600), seen[i].Mode().Perm(), p)
	}
	for _, p := range paths {
		assert.Contains(t, logged.String(), p)
	}
	// The file holds the key base64-encoded, as JSON encodes bytes.
	key := objs[0].(*secret.Secret).Data["tls.key"]
	require.NotEmpty(t, key)
	assert.NotContains(t, logged.String(), base64.StdEncoding.EncodeToString(key)[:48])
	assert.NotContains(t, logged.String(), string(key[len(key)/2:]))
}

func modePerm(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	return fi.Mode().Perm()
}
