package file

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

const (
	dirPerm  = 0o700
	filePerm = 0o600
	tmpGlob  = ".tmp-*" // temporary files start with '.', which no name may
)

// writeAtomic replaces path with data so that readers see either the old or
// the new content, never a mix, even across a crash.
func writeAtomic(path string, data []byte, durable bool) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, tmpGlob) // mode 0600
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	if durable {
		if err = f.Sync(); err != nil {
			_ = f.Close()
			return err
		}
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	if durable {
		return syncDir(dir)
	}
	return nil
}

// syncDir makes a rename or removal in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// flock applies how (syscall.LOCK_EX, LOCK_SH or LOCK_UN) to f, retrying
// when a signal interrupts the wait.
func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			if err != nil {
				return fmt.Errorf("flock %s: %w", f.Name(), err)
			}
			return nil
		}
	}
}

// sharedLock opens its own descriptor on path and takes a shared flock on it;
// an own descriptor is needed because flocks on one descriptor do not
// exclude each other. The caller closes the file, which releases the lock.
func sharedLock(path string) (*os.File, error) {
	// Open made the file; never create it here, so a watch that outlives its
	// directory does not resurrect it.
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if err := flock(f, syscall.LOCK_SH); err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

// inode identifies the file behind fi, to notice that the change log was
// replaced by a trim.
func inode(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}
