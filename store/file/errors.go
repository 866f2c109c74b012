package file

import (
	"errors"
)

// ErrClosed is returned by operations on a closed Store.
var ErrClosed = errors.New("file: store closed")

// ErrUnsafePath is matched (errors.Is) by every *UnsafePathError.
var ErrUnsafePath = errors.New("file: unsafe path in the store directory")

// UnsafePathError reports a file or directory inside the store that the
// store refuses to use: a symbolic link (or anything but a plain file or
// directory), one that users other than the owner can write, or an object
// file that another program keeps writing in place while it is read.
type UnsafePathError struct {
	// Path is the offending path, the store directory joined with the
	// path inside it.
	Path string
	// Problem says what is wrong and what the store expects.
	Problem string
}

func (e *UnsafePathError) Error() string {
	return "file: unsafe path " + e.Path + ": " + e.Problem
}

// Is makes errors.Is(err, ErrUnsafePath) hold.
func (e *UnsafePathError) Is(target error) bool { return target == ErrUnsafePath }
