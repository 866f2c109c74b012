package file_test

import (
	"fmt"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
	"github.com/certflow/certflow/store/storetest"
)

// A Scan whose chunk spans more namespaces than the process may open
// descriptors beyond those it has reads them as List does: a directory at
// a time per reader, not every directory of the chunk at once (1,100
// namespaces of one object each took over 1,000 descriptors).
func TestScanOpensFewDirectoriesAtOnce(t *testing.T) {
	ctx := testCtx(t)
	s := openStore(t, t.TempDir(), file.WithoutSync())
	const namespaces = 1100
	for i := range namespaces {
		require.NoError(t, s.Create(ctx, storetest.NewWidget(fmt.Sprintf("ns%04d", i), "w", nil)))
	}
	fds, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	var was syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &was))
	// Room for List's reads and the held directories, far from one a
	// namespace.
	tight := was
	tight.Cur = uint64(len(fds) + 200)
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &tight))
	defer func() { require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &was)) }()

	_, err = s.List(ctx, store.ListOptions{})
	require.NoError(t, err, "List reads them within the limit")
	n := 0
	_, err = s.Scan(ctx, store.ListOptions{}, func(store.Raw) error { n++; return nil })
	require.NoError(t, err, "Scan reads them within the limit")
	require.Equal(t, namespaces, n)
}
