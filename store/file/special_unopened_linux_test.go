package file_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/storetest"
)

// A special file where an object file belongs is refused without being
// opened, by Get and by List: opening a device node can act (a tape
// rewinds, a terminal becomes the controlling one). inotify reports every
// open of a file in the watched directory (IN_OPEN, which the kernel
// sends once the open succeeded, and never for a look such as fstatat),
// so the test sees whether the store opened it. A FIFO can be made by
// anyone; a character device (/dev/null's numbers, whose open succeeds
// and does nothing) only with CAP_MKNOD.
func TestSpecialObjectFilesAreRefusedWithoutBeingOpened(t *testing.T) {
	for _, tc := range []struct {
		name  string
		plant func(path string) error
	}{
		{"fifo", func(path string) error { return unix.Mkfifo(path, 0o600) }},
		{"char device", func(path string) error {
			return unix.Mknod(path, unix.S_IFCHR|0o600, int(unix.Mkdev(1, 3)))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			dir := t.TempDir()
			s := openStore(t, dir)
			a, b := newSecret("a"), newSecret("b")
			require.NoError(t, s.Create(ctx, a))
			require.NoError(t, s.Create(ctx, b))
			planted := objectFile(dir, b)
			require.NoError(t, os.Remove(planted))
			err := tc.plant(planted)
			if errors.Is(err, unix.EPERM) && tc.name == "char device" {
				if os.Getenv("CI") == "true" {
					t.Fatalf("mknod refused (uid %d): CI runs as root and must prove the device case", os.Getuid())
				}
				t.Skipf("mknod needs CAP_MKNOD, which this test runs without (uid %d); the FIFO case takes the same path: "+
					"a listing's d_type or an fstatat names it a special file before any open", os.Getuid())
			}
			require.NoError(t, err)
			opens := watchOpens(t, filepath.Dir(planted))

			requireUnsafe(t, s.Get(ctx, b.Ref(), &storetest.Widget{}), planted)
			res, err := s.List(ctx, store.ListOptions{Kind: meta.KindSecret})
			requireUnsafe(t, err, planted)
			require.Len(t, res.Items, 1)
			assert.Equal(t, "a", res.Items[0].Ref.Name)

			opened := opens()
			assert.Contains(t, opened, filepath.Base(objectFile(dir, a)), "the watch sees the store open a regular object file")
			assert.NotContains(t, opened, filepath.Base(planted), "the special file was opened")
		})
	}
}

// watchOpens watches dir for opens of the files in it; the function it
// returns lists the names opened since. Events are queued as the opens
// happen, so they are all there once the opening call returned.
func watchOpens(t *testing.T, dir string) func() []string {
	t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	require.NoError(t, err)
	t.Cleanup(func() { _ = unix.Close(fd) })
	_, err = unix.InotifyAddWatch(fd, dir, unix.IN_OPEN)
	require.NoError(t, err)
	return func() []string {
		var names []string
		buf := make([]byte, 64<<10)
		for {
			n, err := unix.Read(fd, buf)
			if errors.Is(err, syscall.EAGAIN) {
				return names
			}
			require.NoError(t, err)
			for off := 0; off+unix.SizeofInotifyEvent <= n; {
				ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
				name := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
				names = append(names, string(bytes.TrimRight(name, "\x00")))
				off += unix.SizeofInotifyEvent + int(ev.Len)
			}
		}
	}
}
