package file

import (
	"errors"
	"io/fs"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// readObjectFile reads the object file name in f into buf (grown if it is
// too small) and returns what it read; see readObject for what it refuses.
// listedRegular says a directory listing just called name a regular file
// (getdents' d_type, see entries).
//
// Nothing but a regular file is opened: opening a device node can act (a
// tape rewinds, a terminal becomes the controlling one). Unless the
// listing said it is a regular file, an fstatat relative to f's
// descriptor, not following a link, looks at name first, and refuses a
// link or a special file without opening it. Then one openat, with
// O_NOFOLLOW and O_NONBLOCK, and an fstat of what it opened, which must be
// a regular file, and the one looked at: a name replaced since (a writer's
// rename) is looked at again. This replaces os.Root's lstat, open, poller
// registration and fstat: a Manager's start reads every object file, 300k
// of them at 100k certificates, and the system calls were most of that.
//
// A name replaced by a special file between the look (or the listing) and
// the openat is opened, and refused by the fstat. Only the store's own user
// or root can do that (a directory other users can write is refused), and
// they can open the device themselves; closing that window too (openat
// O_PATH, fstat, then opening /proc/self/fd/N) made a List cost half as
// much CPU again.
func (f *folder) readObjectFile(name string, listedRegular bool, buf []byte) ([]byte, error) {
	dir, err := f.dirFile()
	if err != nil {
		return nil, err
	}
	dirfd := int(dir.Fd())
	defer runtime.KeepAlive(dir)
	abs := f.path(name)
	for attempt := 1; ; attempt++ {
		var looked *unix.Stat_t
		if !listedRegular || attempt > 1 {
			looked = new(unix.Stat_t)
			if err := lstatAt(dirfd, name, looked); err != nil {
				return nil, &fs.PathError{Op: "fstatat", Path: abs, Err: err}
			}
			if err := checkFileMode(abs, fileMode(looked.Mode)); err != nil {
				return nil, err
			}
		}
		fd, err := openNoFollow(dirfd, name)
		if err != nil && openedOtherThanRegular(err) {
			// Replaced since it was looked at (or listed), by a link
			// or a special file: look again.
			if attempt < openAttempts {
				continue
			}
			return nil, &UnsafePathError{Path: abs, Problem: problemReplaced}
		}
		if err != nil {
			// ENOENT, EACCES, EMFILE, EIO…: a failure to read, which
			// a List must not take for one bad object and go on.
			return nil, &fs.PathError{Op: "openat", Path: abs, Err: err}
		}
		data, err := f.readOpened(fd, abs, looked, buf)
		_ = syscall.Close(fd)
		if errors.Is(err, errReplaced) && attempt < openAttempts {
			continue // replaced since it was looked at: look again
		}
		if errors.Is(err, errReplaced) {
			return nil, &UnsafePathError{Path: abs, Problem: problemReplaced}
		}
		if errors.Is(err, errChangedWhileRead) && attempt < openAttempts {
			continue // written in place while read: read it again
		}
		if errors.Is(err, errChangedWhileRead) {
			return nil, &UnsafePathError{Path: abs, Problem: problemChanged}
		}
		return data, err
	}
}

// errReplaced is readOpened's answer when the file it was given is not the
// one that was looked at.
var errReplaced = errors.New("file: object file replaced since it was looked at")

// lstatAt is fstatat(dirfd, name, AT_SYMLINK_NOFOLLOW).
func lstatAt(dirfd int, name string, st *unix.Stat_t) error {
	for {
		if err := unix.Fstatat(dirfd, name, st, unix.AT_SYMLINK_NOFOLLOW); err != unix.EINTR {
			return err
		}
	}
}

// openedOtherThanRegular reports whether err is what openNoFollow meets
// at a name that is not a regular file: ELOOP for a link (O_NOFOLLOW);
// ENXIO for a socket or a device without its driver, ENODEV, EOPNOTSUPP,
// EAGAIN or EBUSY from a device's own open. A regular file's open fails
// with none of them.
func openedOtherThanRegular(err error) bool {
	switch err {
	case syscall.ELOOP, syscall.ENXIO, syscall.ENODEV, syscall.EOPNOTSUPP, syscall.EAGAIN, syscall.EBUSY:
		return true
	}
	return false
}

// openNoFollow opens name in dirfd for reading, refusing a link.
func openNoFollow(dirfd int, name string) (int, error) {
	for {
		fd, err := syscall.Openat(dirfd, name, syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

// readOpened checks the file open at fd, which must be the one looked at
// if any (errReplaced; see checkFile and makePrivate), and reads it into
// buf.
func (f *folder) readOpened(fd int, abs string, looked *unix.Stat_t, buf []byte) ([]byte, error) {
	var st syscall.Stat_t
	if err := fstat(fd, &st); err != nil {
		return nil, &fs.PathError{Op: "fstat", Path: abs, Err: err}
	}
	if looked != nil && (st.Dev != looked.Dev || st.Ino != looked.Ino) {
		return nil, errReplaced
	}
	mode := fileMode(st.Mode)
	if err := checkFileMode(abs, mode); err != nil {
		return nil, err
	}
	chmod := func(to fs.FileMode) error { return syscall.Fchmod(fd, uint32(to.Perm())) }
	if err := f.t.makePrivateMode(abs, mode, chmod); err != nil {
		return nil, err
	}
	return readSized(fd, abs, int(max(st.Size, 0)), buf)
}

// readSized reads the file open at fd, which fstat said holds size bytes,
// into buf (grown if it is too small). The store replaces an object file,
// never writes one in place, but another program may: a file that ends
// before size or goes on past it is errChangedWhileRead, never a truncated
// or partial read that would pass for a corrupt object.
func readSized(fd int, abs string, size int, buf []byte) ([]byte, error) {
	if cap(buf) < size+1 {
		buf = make([]byte, size+1)
	}
	buf = buf[:size+1] // one byte more, to see a file that grew
	read := 0
	for read < len(buf) {
		n, err := syscall.Read(fd, buf[read:])
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return nil, &fs.PathError{Op: "read", Path: abs, Err: err}
		case n == 0:
			if read != size {
				return nil, errChangedWhileRead // shrank
			}
			return buf[:read], nil
		}
		read += n
	}
	return nil, errChangedWhileRead // grew
}

func fstat(fd int, st *syscall.Stat_t) error {
	for {
		if err := syscall.Fstat(fd, st); !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// fileMode converts a stat mode to the fs.FileMode os.Lstat reports, as
// far as the checks here read it: the type and the permission bits.
func fileMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & syscall.S_IFMT {
	case syscall.S_IFREG:
	case syscall.S_IFDIR:
		mode |= fs.ModeDir
	case syscall.S_IFLNK:
		mode |= fs.ModeSymlink
	case syscall.S_IFIFO:
		mode |= fs.ModeNamedPipe
	case syscall.S_IFSOCK:
		mode |= fs.ModeSocket
	case syscall.S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFBLK:
		mode |= fs.ModeDevice
	default:
		mode |= fs.ModeIrregular
	}
	return mode
}
