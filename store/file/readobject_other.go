//go:build !linux

package file

import (
	"errors"
	"io"
	"os"
)

// readObjectFile reads the object file name in f into buf (grown if it is
// too small) and returns what it read; see readObject for what it refuses.
// It looks at name before opening it (os.Root's lstat), whatever a listing
// said of it (listedRegular). The store replaces an object file, never writes one in place, but
// another program may: a file whose size changes while it is read is read
// again, and refused if it never settles, never returned truncated or
// partial to pass for a corrupt object.
func (f *folder) readObjectFile(name string, _ bool, buf []byte) ([]byte, error) {
	for attempt := 1; ; attempt++ {
		data, err := f.readObjectFileOnce(name, buf)
		if errors.Is(err, errChangedWhileRead) && attempt < openAttempts {
			continue
		}
		if errors.Is(err, errChangedWhileRead) {
			return nil, &UnsafePathError{Path: f.path(name), Problem: problemChanged}
		}
		return data, err
	}
}

func (f *folder) readObjectFileOnce(name string, buf []byte) ([]byte, error) {
	file, fi, err := f.openFileInfo(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer func() { _ = file.Close() }()
	size := int(max(fi.Size(), 0))
	if cap(buf) < size+1 {
		buf = make([]byte, size+1)
	}
	// One byte more than the size, to see a file that grew.
	n, err := io.ReadFull(file, buf[:size+1])
	switch {
	case err == nil:
		return nil, errChangedWhileRead // grew
	case err != io.ErrUnexpectedEOF && err != io.EOF:
		return nil, err
	case n != size:
		return nil, errChangedWhileRead // shrank
	}
	return buf[:n], nil
}
