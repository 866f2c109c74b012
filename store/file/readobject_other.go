//go:build !linux

package file

import (
	"io"
	"os"
)

// readObjectFile reads the object file name in f into buf (grown if it is
// too small) and returns what it read; see readObject for what it refuses.
// An object file is replaced, never written in place, so the size the
// opened file tells is the whole of it.
func (f *folder) readObjectFile(name string, buf []byte) ([]byte, error) {
	file, fi, err := f.openFileInfo(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer func() { _ = file.Close() }()
	size := int(max(fi.Size(), 0))
	if cap(buf) < size {
		buf = make([]byte, size)
	}
	n, err := io.ReadFull(file, buf[:size])
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil // shorter than it said: it was replaced in place
	}
	return buf[:n], err
}
