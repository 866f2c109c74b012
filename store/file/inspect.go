package file

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"runtime"
	"strings"
	"sync"
)

// inspection is what Open found in the store directory: what it refuses,
// and what it will repair when it refuses nothing.
type inspection struct {
	refused []error
	tighten []fixMode // readable by other users
	tmp     []entry   // temporary files of interrupted writes
}

// entry is a file in a folder of the tree, by its folder's path.
type entry struct{ dir, name, abs string }

type fixMode struct {
	entry
	from, to fs.FileMode
}

// inspect runs at Open under the exclusive lock. It refuses links, special
// files and anything other users can write (ErrUnsafePath, every one
// named); if there are none, it makes private what others can read,
// removes temporary files left by interrupted writes (they may hold private
// keys) and expired leases, and logs each. No other process writes
// meanwhile, so no temporary file is in use.
//
// Unless full, the object files are not looked at, only the directories
// holding them: each file is made private when it is first opened
// (tree.makePrivate; see WithFullOpen).
func (s *Store) inspect(full bool) error {
	var in inspection
	top := s.tree.top()
	fi, err := top.Stat(".")
	if err != nil {
		return err
	}
	in.mode(entry{dir: ".", name: ".", abs: s.tree.dir}, fi, dirPerm)
	entries, err := top.readDir()
	if err != nil {
		return err
	}
	for _, e := range entries {
		switch name := e.Name(); {
		case name == logName || name == lockName || strings.HasPrefix(name, tmpPrefix):
			if err := in.file(top, name); err != nil {
				return err
			}
		case name == objectsDir || name == leasesDir || name == sessionsDir:
			if err := in.walk(top, name, full); err != nil {
				return err
			}
		}
		// Anything else is not the store's.
	}
	if len(in.refused) > 0 {
		return errors.Join(in.refused...)
	}
	if err := s.repair(in); err != nil {
		return err
	}
	return s.removeExpiredLeases()
}

// walk inspects the directory name in f and everything below it; unless
// full, not the files of the directories holding objects.
func (in *inspection) walk(f *folder, name string, full bool) error {
	d, err := f.child(name, false)
	if errors.Is(err, ErrUnsafePath) {
		in.refused = append(in.refused, err)
		return nil
	}
	if err != nil {
		return err
	}
	defer d.close()
	fi, err := d.Stat(".")
	if err != nil {
		return err
	}
	in.mode(entry{dir: d.rel, name: ".", abs: d.abs}, fi, dirPerm)
	if !full && holdsObjects(d.rel) {
		return nil
	}
	names, err := d.names()
	if err != nil {
		return err
	}
	infos, errs := lstatAll(d, names)
	for i, name := range names {
		if errs[i] == nil && infos[i].IsDir() {
			if err := in.walk(d, name, full); err != nil {
				return err
			}
			continue
		}
		if err := in.fileInfo(d, name, infos[i], errs[i]); err != nil {
			return err
		}
	}
	return nil
}

// holdsObjects says whether rel is a namespace directory of objects,
// objects/<Kind>/<namespace>.
func holdsObjects(rel string) bool {
	parts := strings.Split(rel, "/")
	return len(parts) == 3 && parts[0] == objectsDir
}

// statsPerWorker is the fewest files worth a goroutine of their own in
// lstatAll.
const statsPerWorker = 256

// lstatAll runs Lstat on each of names in f, on up to GOMAXPROCS goroutines
// that all end before it returns: a store of 100k certificates holds some
// 700k files, and Open looking at each in turn was most of a restart.
func lstatAll(f *folder, names []string) ([]fs.FileInfo, []error) {
	infos, errs := make([]fs.FileInfo, len(names)), make([]error, len(names))
	stat := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			infos[i], errs[i] = f.Lstat(names[i])
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(names)/statsPerWorker)
	if workers <= 1 {
		stat(0, len(names))
		return infos, errs
	}
	var wg sync.WaitGroup
	per := (len(names) + workers - 1) / workers
	for lo := 0; lo < len(names); lo += per {
		wg.Go(func() { stat(lo, min(lo+per, len(names))) })
	}
	wg.Wait()
	return infos, errs
}

// file inspects the file name in f.
func (in *inspection) file(f *folder, name string) error {
	fi, err := f.Lstat(name)
	return in.fileInfo(f, name, fi, err)
}

// fileInfo inspects the file name in f, given what Lstat returned for it.
func (in *inspection) fileInfo(f *folder, name string, fi fs.FileInfo, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	e := entry{dir: f.rel, name: name, abs: f.path(name)}
	if err := checkFile(e.abs, fi); err != nil {
		in.refused = append(in.refused, err)
		return nil
	}
	if strings.HasPrefix(name, tmpPrefix) {
		in.tmp = append(in.tmp, e)
		return nil
	}
	in.mode(e, fi, filePerm)
	return nil
}

// mode notes a directory or file that other users can write (refused) or
// read (to make private).
func (in *inspection) mode(e entry, fi fs.FileInfo, want fs.FileMode) {
	if !checkModes {
		return
	}
	if err := checkWritable(e.abs, fi, want); err != nil {
		in.refused = append(in.refused, err)
		return
	}
	if perm := fi.Mode().Perm(); perm&othersAny != 0 {
		in.tighten = append(in.tighten, fixMode{entry: e, from: perm, to: perm &^ othersAny})
	}
}

func (s *Store) repair(in inspection) error {
	for _, m := range in.tighten {
		if err := s.inFolder(m.dir, func(d *folder) error { return d.Chmod(m.name, m.to) }); err != nil {
			return fmt.Errorf("chmod %s: %w", m.abs, err)
		}
		logMadePrivate(s.log, m.abs, m.from, m.to)
	}
	for _, t := range in.tmp {
		if err := s.inFolder(t.dir, func(d *folder) error { return d.remove(t.name) }); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		s.log.Info("file: removed the temporary file of an interrupted write", slog.String("path", t.abs))
	}
	return nil
}

// makePrivate makes the file just opened at abs private, as a full Open
// would have (see WithFullOpen), if other users can read it: a quick Open
// does not look at object files, so each is looked at when it is first
// opened, from what the open already learnt (fi, from fstat), which costs
// no system call unless there is something to repair. The Manager lists
// every object as it starts, so every object file is made private within
// seconds of Open. What other users can write was refused before the open;
// it is refused here too should its mode have changed since.
func (t *tree) makePrivate(file *os.File, abs string, fi fs.FileInfo) error {
	return t.makePrivateMode(abs, fi.Mode(), file.Chmod)
}

// makePrivateMode is makePrivate given the opened file's mode and a chmod
// of it.
func (t *tree) makePrivateMode(abs string, mode fs.FileMode, chmod func(fs.FileMode) error) error {
	if !checkModes {
		return nil
	}
	if err := checkWritableMode(abs, mode, filePerm); err != nil {
		return err
	}
	from := mode.Perm()
	if from&othersAny == 0 {
		return nil
	}
	to := from &^ othersAny
	if err := chmod(to); err != nil {
		return fmt.Errorf("chmod %s: %w", abs, err)
	}
	logMadePrivate(t.log, abs, from, to)
	return nil
}

func logMadePrivate(log *slog.Logger, abs string, from, to fs.FileMode) {
	log.Warn("file: made private what other users could read; if it holds keys, they may have been read",
		slog.String("path", abs), slog.String("was", fmt.Sprintf("%04o", from)), slog.String("now", fmt.Sprintf("%04o", to)))
}

// removeExpiredLeases removes lease files whose lease has expired, as a
// crashed holder leaves them: nobody holds them, so nothing changes but
// the clutter.
func (s *Store) removeExpiredLeases() error {
	return s.inFolder(leasesDir, func(d *folder) error {
		entries, err := d.readDir()
		if err != nil {
			return err
		}
		now := s.clock.Now()
		for _, e := range entries {
			name, ok := strings.CutSuffix(e.Name(), ".json")
			if !ok || strings.HasPrefix(name, ".") || !e.Type().IsRegular() {
				continue
			}
			l, err := readLeaseIn(d, e.Name(), name)
			if err != nil {
				// A corrupt lease stays for Acquire to report.
				s.log.Warn("file: cannot read a lease", slog.String("path", d.path(e.Name())), slog.Any("err", err))
				continue
			}
			if l == nil || now.Before(l.Expires) {
				continue
			}
			if err := d.remove(e.Name()); err != nil {
				return err
			}
			s.log.Info("file: removed an expired lease", slog.String("path", d.path(e.Name())),
				slog.String("owner", l.Owner), slog.Time("expired", l.Expires))
		}
		return nil
	})
}

// inFolder runs fn in the directory rel of the tree.
func (s *Store) inFolder(rel string, fn func(d *folder) error) error {
	d, err := s.tree.open(path.Clean(rel), false)
	if err != nil {
		return err
	}
	defer d.close()
	return fn(d)
}
