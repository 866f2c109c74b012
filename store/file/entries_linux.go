package file

import (
	"encoding/binary"
	"runtime"

	"golang.org/x/sys/unix"
)

// entries lists the names in f with the type getdents gives each (d_type,
// which costs nothing more than the names): an object file it calls a
// regular file is opened without an fstatat first (readObjectFile); any
// other type, or DT_UNKNOWN from a file system that does not say, is
// looked at first. os.Root's ReadDir would lstat every entry instead (see
// names).
func (f *folder) entries() ([]dirEntry, error) {
	dir, err := f.dirFile()
	if err != nil {
		return nil, err
	}
	// A descriptor of its own: getdents moves its offset, and the
	// folder's is shared with concurrent reads.
	fd, err := openDirAt(int(dir.Fd()))
	runtime.KeepAlive(dir)
	if err != nil {
		return nil, err
	}
	defer func() { _ = unix.Close(fd) }()
	var out []dirEntry
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			return out, nil
		}
		out = appendDirents(out, buf[:n])
	}
}

// linux_dirent64: d_ino (8 bytes), d_off (8), d_reclen (2), d_type (1),
// then d_name, NUL-terminated, in native byte order on every architecture.
const (
	direntReclen = 16
	direntType   = 18
	direntName   = 19
)

// appendDirents appends the entries of a getdents64 buffer, but "." and "..".
func appendDirents(out []dirEntry, buf []byte) []dirEntry {
	for len(buf) >= direntName {
		reclen := int(binary.NativeEndian.Uint16(buf[direntReclen:]))
		if reclen < direntName || reclen > len(buf) {
			break // malformed: the kernel never writes this
		}
		name := buf[direntName:reclen]
		for i, c := range name {
			if c == 0 {
				name = name[:i]
				break
			}
		}
		if s := string(name); s != "." && s != ".." {
			out = append(out, dirEntry{name: s, regular: buf[direntType] == unix.DT_REG})
		}
		buf = buf[reclen:]
	}
	return out
}

// openDirAt opens the directory dirfd refers to again, for reading.
func openDirAt(dirfd int) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}
