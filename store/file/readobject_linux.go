package file

import (
	"errors"
	"io/fs"
	"runtime"
	"syscall"
)

// readObjectFile reads the object file name in f into buf (grown if it is
// too small) and returns what it read; see readObject for what it refuses.
//
// One openat relative to f's descriptor, with O_NOFOLLOW, replaces
// os.Root's lstat, open, poller registration and fstat: the kernel refuses
// a symbolic link at the name itself, and the fstat that follows refuses
// anything but a regular file before a byte is read (O_NONBLOCK, so that
// opening a planted FIFO cannot block). A Manager's start reads every
// object file, 300k of them at 100k certificates, and the system calls
// were most of that.
func (f *folder) readObjectFile(name string, buf []byte) ([]byte, error) {
	dir, err := f.dirFile()
	if err != nil {
		return nil, err
	}
	dirfd := int(dir.Fd())
	defer runtime.KeepAlive(dir)
	abs := f.path(name)
	for attempt := 1; ; attempt++ {
		fd, err := openNoFollow(dirfd, name)
		if err == syscall.ENOENT {
			return nil, &fs.PathError{Op: "openat", Path: abs, Err: err}
		}
		if err != nil {
			// ELOOP is a link, or a file renamed over one since; ENXIO a
			// socket, ENODEV or EOPNOTSUPP another special file: refuse
			// it by name, as the lstat before an open would have.
			if refused := f.refuseNonFile(name); refused != nil {
				return nil, refused
			}
			if err == syscall.ELOOP {
				// A file now: a writer's rename landed since the openat.
				if attempt < openAttempts {
					continue
				}
				return nil, &UnsafePathError{Path: abs, Problem: problemReplaced}
			}
			return nil, &fs.PathError{Op: "openat", Path: abs, Err: err}
		}
		data, err := f.readOpened(fd, abs, buf)
		_ = syscall.Close(fd)
		if errors.Is(err, errChangedWhileRead) && attempt < openAttempts {
			continue // written in place while read: read it again
		}
		if errors.Is(err, errChangedWhileRead) {
			return nil, &UnsafePathError{Path: abs, Problem: problemChanged}
		}
		return data, err
	}
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

// refuseNonFile returns the error that refuses what is at name in f, or
// nil if it is now a file the store can read.
func (f *folder) refuseNonFile(name string) error {
	fi, err := f.Lstat(name)
	if err != nil {
		return err
	}
	return checkFile(f.path(name), fi)
}

// readOpened checks the file open at fd (see checkFile and makePrivate)
// and reads it into buf.
func (f *folder) readOpened(fd int, abs string, buf []byte) ([]byte, error) {
	var st syscall.Stat_t
	if err := fstat(fd, &st); err != nil {
		return nil, &fs.PathError{Op: "fstat", Path: abs, Err: err}
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
