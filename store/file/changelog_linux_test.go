package file

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The change log is opened for reading and writing, not O_APPEND: on
// Windows an O_APPEND handle lacks FILE_WRITE_DATA and cannot be
// truncated, so the torn-tail cut and CreateBatch's cut-back would fail
// there. Linux keeps the open flags, so they are checked here (F_GETFL).
func TestChangeLogIsNotOpenedAppendOnly(t *testing.T) {
	s, err := Open(t.TempDir(), WithoutSync())
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()

	var flags int
	require.NoError(t, s.exclusive(func() error {
		lf, _, err := s.openLog()
		if err != nil {
			return err
		}
		defer func() { _ = lf.Close() }()
		rc, err := lf.SyscallConn()
		if err != nil {
			return err
		}
		var getErr error
		if err := rc.Control(func(fd uintptr) { flags, getErr = unix.FcntlInt(fd, unix.F_GETFL, 0) }); err != nil {
			return err
		}
		return getErr
	}))
	assert.Zero(t, flags&unix.O_APPEND, "the log handle is O_APPEND (flags %#o)", flags)
	assert.Equal(t, unix.O_RDWR, flags&unix.O_ACCMODE, "the log handle reads and writes (flags %#o)", flags)
}
