package main

import (
	"os"
	"path/filepath"
)

// replaceFile makes path hold data with mode perm. os.WriteFile keeps the
// mode of a file already there (a tls.key left at 0644 would stay
// readable by all) and follows a link planted at path (writing the key
// wherever it points); a temporary file renamed over path does neither:
// rename replaces the link itself, and the new file has only perm.
func replaceFile(path string, data []byte, perm os.FileMode) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
