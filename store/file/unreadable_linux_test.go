package file_test

import (
	"context"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
	"github.com/certflow/certflow/store/storetest"
)

// An object file the store's user cannot open (mode 0o000, as a user
// without CAP_DAC_OVERRIDE) is an I/O failure, fs.ErrPermission, by Get
// and by List: not an unsafe path "replaced" after eight attempts, which a
// List reports as one bad object and goes on without it. Run as root (as
// CI is), the test runs itself again as nobody.
func TestUnreadableObjectFileIsAPermissionError(t *testing.T) {
	if os.Geteuid() == 0 {
		runAsNobody(t)
		return
	}
	ctx := testCtx(t)
	dir := t.TempDir()
	s := openStore(t, dir)
	a, b := newSecret("a"), newSecret("b")
	require.NoError(t, s.Create(ctx, a))
	require.NoError(t, s.Create(ctx, b))
	require.NoError(t, os.Chmod(objectFile(dir, a), 0))

	err := s.Get(ctx, a.Ref(), &storetest.Widget{})
	require.ErrorIs(t, err, fs.ErrPermission)
	require.NotErrorIs(t, err, file.ErrUnsafePath)

	res, err := s.List(ctx, store.ListOptions{Kind: meta.KindSecret})
	require.ErrorIs(t, err, fs.ErrPermission, "listed %d objects", len(res.Items))
	require.NotErrorIs(t, err, file.ErrUnsafePath)
}

// nobody is the user runAsNobody runs a test as.
const nobody = 65534

// runAsNobody runs the test t again, alone, in a copy of the test binary
// as user and group nobody with no other group, and fails t unless it
// passed there (a skip there fails it too). The copy and the test's
// TMPDIR are in a directory of nobody's: root's go test keeps its binary
// where only root can reach it.
func runAsNobody(t *testing.T) {
	t.Helper()
	home, err := os.MkdirTemp("", "certflow-nobody-")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, os.RemoveAll(home)) })
	require.NoError(t, os.Chmod(home, 0o700))
	self, err := os.Executable()
	require.NoError(t, err)
	bin := filepath.Join(home, "file.test")
	require.NoError(t, copyFile(self, bin, 0o500))
	require.NoError(t, os.Chown(bin, nobody, nobody))
	require.NoError(t, os.Chown(home, nobody, nobody))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Dir = home
	cmd.Env = append(os.Environ(), "TMPDIR="+home, "HOME="+home)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "as nobody:\n%s", out)
	require.Contains(t, string(out), "--- PASS: "+t.Name(), "as nobody:\n%s", out)
}

func copyFile(from, to string, mode fs.FileMode) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer func() { _ = src.Close() }()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		_ = dst.Close()
		return err
	}
	return dst.Close()
}
