package file_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
	"github.com/certflow/certflow/store/storetest"
)

// Running out of file descriptors fails a Get or a List: it is no unsafe
// path, and a List never returns fewer objects as if the ones it could not
// open were bad. With the descriptor limit lowered and every descriptor
// under it taken but k, for k = 0, 1, … until each has enough, each Get
// and List either fails with EMFILE or returns what is there. (A List's
// openat of an object file reuses the descriptor its directory listing
// just closed; a Get's is the last it opens, and reads the same way.)
func TestOutOfDescriptorsFailsRatherThanDropsObjects(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	s := openStore(t, dir)
	const n = 6
	for i := range n {
		require.NoError(t, s.Create(ctx, newSecret(fmt.Sprintf("s%d", i))))
	}
	devNull, err := os.Open(os.DevNull)
	require.NoError(t, err)
	defer devNull.Close()

	var orig unix.Rlimit
	require.NoError(t, unix.Getrlimit(unix.RLIMIT_NOFILE, &orig))
	lowered := orig
	lowered.Cur = min(orig.Cur, 1024)
	require.NoError(t, unix.Setrlimit(unix.RLIMIT_NOFILE, &lowered))
	defer func() { require.NoError(t, unix.Setrlimit(unix.RLIMIT_NOFILE, &orig)) }()

	// take fills every free descriptor under the limit, then frees k.
	take := func(k int) (release func()) {
		var fds []int
		for {
			fd, err := unix.FcntlInt(devNull.Fd(), unix.F_DUPFD_CLOEXEC, 0)
			if err == unix.EMFILE {
				break
			}
			require.NoError(t, err)
			fds = append(fds, fd)
		}
		require.GreaterOrEqual(t, len(fds), k, "descriptors under the limit")
		for _, fd := range fds[len(fds)-k:] {
			require.NoError(t, unix.Close(fd))
		}
		return func() {
			for _, fd := range fds[:len(fds)-k] {
				_ = unix.Close(fd)
			}
		}
	}
	ref := newSecret("s0").Ref()
	var got storetest.Widget
	failed := 0
	for k := 0; ; k++ {
		require.Less(t, k, 64, "a Get with %d free descriptors still failed", k)
		release := take(k)
		err := s.Get(ctx, ref, &got)
		release()
		if err == nil {
			require.Equal(t, "s0", got.Metadata.Name)
			break
		}
		failed++
		require.ErrorIs(t, err, unix.EMFILE, "Get with %d free descriptors", k)
		require.NotErrorIs(t, err, file.ErrUnsafePath, "Get with %d free descriptors", k)
	}
	require.Positive(t, failed, "no Get ran out of descriptors")

	failed = 0
	for k := 0; ; k++ {
		require.Less(t, k, 64, "a List with %d free descriptors still failed", k)
		release := take(k)
		res, err := s.List(ctx, store.ListOptions{Kind: meta.KindSecret})
		release()
		if err == nil {
			require.Len(t, res.Items, n, "with %d free descriptors", k)
			break
		}
		failed++
		require.ErrorIs(t, err, unix.EMFILE, "List with %d free descriptors", k)
		require.NotErrorIs(t, err, file.ErrUnsafePath, "List with %d free descriptors", k)
		require.Empty(t, res.Items, "List with %d free descriptors", k)
	}
	require.Positive(t, failed, "no List ran out of descriptors")
}
