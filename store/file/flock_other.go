//go:build !(darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd || windows)

package file

import (
	"errors"
	"fmt"
	"os"
	"runtime"
)

// Without a lock that excludes other processes, writes could interleave;
// the store refuses to open rather than risk that.
func lockFile(*os.File, bool) error {
	return fmt.Errorf("file locking on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}

func unlockFile(*os.File) error { return nil }

func tryLockFile(*os.File) (bool, error) {
	return false, fmt.Errorf("file locking on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
