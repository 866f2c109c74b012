package file

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

const (
	dirPerm   = 0o700
	filePerm  = 0o600
	tmpPrefix = ".tmp-" // temporary files start with '.', which no name may

	// othersWrite and othersAny are the mode bits of users other than the
	// owner: writing lets them plant or alter objects, reading lets them
	// read private keys.
	othersWrite = 0o022
	othersAny   = 0o077

	// checkModes is false where mode bits say nothing about access.
	checkModes = runtime.GOOS != "windows" && runtime.GOOS != "plan9"
	// syncDirs is false where a directory cannot be fsynced (Windows
	// refuses FlushFileBuffers on a directory; NTFS journals its entries).
	syncDirs = runtime.GOOS != "windows"
)

// tree is the store directory. Every file is reached from the directory
// handle opened by Open one name at a time (folder.child), and each step
// refuses a symbolic link, anything that is not a directory or a regular
// file, and what other users can write. os.Root keeps every access inside
// the directory even if a link is planted between a check and a use; the
// checks, and the comparison of what was checked with what was opened,
// make the store refuse links instead of following them.
type tree struct {
	root    *os.Root
	dir     string // the store directory as given to Open, for messages
	durable bool
	// synced, if set, is told the path of every directory fsynced (tests).
	synced func(path string)
	// removingTemp, if set, is asked before a temporary file is removed
	// after a failed write; its error is the removal's (tests: as root, a
	// removal cannot be made to fail).
	removingTemp func(path string) error
	// placing, if set, is told the path of every file about to be renamed
	// into place (tests: a process that dies there).
	placing func(path string)
	// session is this Store's once it began writing (see sessions.go);
	// guarded by the exclusive lock, as every write is.
	session *session
	// log is told of every file made private when it is opened.
	log *slog.Logger
	// dirs holds the directories open walks to; nil holds none.
	dirs *heldDirs
}

// folder is one checked directory of a tree.
type folder struct {
	*os.Root
	t     *tree
	rel   string // slash-separated path inside the tree, "." for the top
	abs   string // for messages
	owned bool   // Root is this folder's to close
	// opened is the directory child opened (for heldDirs' look).
	opened fs.FileInfo
	// held is set while t.dirs holds f: its close ends one of its uses
	// (guarded by t.dirs.mu), and the last use of one dropped closes it.
	held bool
	uses int

	// dir is the directory opened as a file, for reads os.Root offers no
	// quick way to (readobject_linux.go); opened on first use.
	dirMu sync.Mutex
	dir   *os.File
}

// top is the store directory itself. Its close is a no-op.
func (t *tree) top() *folder { return &folder{Root: t.root, t: t, rel: ".", abs: t.dir} }

// open returns the directory at rel ("objects/Secret/ns"), creating what
// is missing (0700, each new directory made durable in its parent) if
// create is set, else failing with an error matching fs.ErrNotExist. The
// caller closes it.
func (t *tree) open(rel string, create bool) (*folder, error) {
	f := t.top()
	if rel == "." {
		return f, nil
	}
	for name := range strings.SplitSeq(rel, "/") {
		next, err := f.enter(name, create)
		f.close()
		if err != nil {
			return nil, err
		}
		f = next
	}
	return f, nil
}

func (f *folder) close() {
	if f.held {
		f.t.dirs.release(f)
		return
	}
	f.closeHandles()
}

// closeHandles closes what f opened.
func (f *folder) closeHandles() {
	if f.dir != nil {
		_ = f.dir.Close()
	}
	if f.owned {
		_ = f.Close()
	}
}

// dirFile returns f's directory opened as a file; f.close closes it.
func (f *folder) dirFile() (*os.File, error) {
	f.dirMu.Lock()
	defer f.dirMu.Unlock()
	if f.dir == nil {
		d, err := f.Open(".")
		if err != nil {
			return nil, err
		}
		f.dir = d
	}
	return f.dir, nil
}

func (f *folder) path(name string) string { return filepath.Join(f.abs, name) }

// child opens the directory name in f; see tree.open.
func (f *folder) child(name string, create bool) (*folder, error) {
	abs := f.path(name)
	fi, err := f.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) && create {
		err = f.Mkdir(name, dirPerm)
		if err == nil {
			err = f.sync()
		} else if errors.Is(err, fs.ErrExist) {
			err = nil // made by another process meanwhile
		}
		if err != nil {
			return nil, err
		}
		fi, err = f.Lstat(name)
	}
	if err != nil {
		return nil, err
	}
	if err := checkDir(abs, fi); err != nil {
		return nil, err
	}
	sub, err := f.OpenRoot(name)
	if err != nil {
		return nil, err
	}
	opened, err := sub.Stat(".")
	if err == nil && !os.SameFile(fi, opened) {
		err = &UnsafePathError{Path: abs, Problem: "was replaced while it was being opened"}
	}
	if err != nil {
		_ = sub.Close()
		return nil, err
	}
	return &folder{Root: sub, t: f.t, rel: path.Join(f.rel, name), abs: abs, owned: true, opened: opened}, nil
}

// openFile opens name in f, refusing anything but a regular file that only
// its owner can write. A file it creates is checked after the fact.
func (f *folder) openFile(name string, flag int, perm fs.FileMode) (*os.File, error) {
	file, _, err := f.openFileInfo(name, flag, perm)
	return file, err
}

// openFileInfo is openFile that also returns what the opened file is.
func (f *folder) openFileInfo(name string, flag int, perm fs.FileMode) (*os.File, fs.FileInfo, error) {
	for attempt := 1; ; attempt++ {
		file, opened, err := f.openFileOnce(name, flag, perm)
		var unsafe *UnsafePathError
		if errors.As(err, &unsafe) && unsafe.Problem == problemReplaced && attempt < openAttempts {
			// A writer's atomic rename landed between the check and the
			// open, as it may at any time: look again.
			continue
		}
		return file, opened, err
	}
}

// openAttempts bounds how often openFileInfo looks again at a file replaced
// while it was being opened: every replacement is another writer's commit.
const openAttempts = 8

const problemReplaced = "was replaced while it was being opened"

const problemChanged = "kept changing while it was being read: object files are replaced, never written in place"

// errChangedWhileRead says an object file's size changed between its
// fstat and the end of its read: it was written in place. Reading it again
// sees the change done; one that never settles is refused (problemChanged).
var errChangedWhileRead = errors.New("file: object file changed while it was read")

func (f *folder) openFileOnce(name string, flag int, perm fs.FileMode) (*os.File, fs.FileInfo, error) {
	abs := f.path(name)
	checked, err := f.Lstat(name)
	switch {
	case err == nil:
		if err := checkFile(abs, checked); err != nil {
			return nil, nil, err
		}
	case errors.Is(err, fs.ErrNotExist) && flag&os.O_CREATE != 0:
		checked = nil
	default:
		return nil, nil, err
	}
	file, err := f.OpenFile(name, flag, perm)
	if err != nil {
		return nil, nil, err
	}
	opened, err := file.Stat()
	if err == nil && checked == nil {
		if checked, err = f.Lstat(name); err == nil {
			err = checkFile(abs, checked)
		}
	}
	if err == nil && !os.SameFile(checked, opened) {
		err = &UnsafePathError{Path: abs, Problem: problemReplaced}
	}
	if err == nil {
		err = f.t.makePrivate(file, abs, opened)
	}
	if err != nil {
		_ = file.Close()
		return nil, nil, err
	}
	return file, opened, nil
}

// readFile reads name in f; see openFile. The buffer is sized from the
// opened file, as os.ReadFile does: a List reads every object file.
func (f *folder) readFile(name string) ([]byte, error) {
	file, fi, err := f.openFileInfo(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer func() { _ = file.Close() }()
	data := make([]byte, 0, max(fi.Size(), 0)+1) // +1: the read that finds the end
	for {
		n, err := file.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return nil, err
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)] // grew meanwhile
		}
	}
}

// writeAtomic replaces name in f with data so that readers see either the
// old or the new content, never a mix, even across a crash: a temporary
// file (0600, created exclusively, so never through a link) is written,
// fsynced and renamed over name, then the directory is fsynced.
func (f *folder) writeAtomic(name string, data []byte) error {
	tmp, file, err := f.writeTemp(data)
	if err != nil {
		return err
	}
	if err := f.renameTemp(tmp, file, f.t.syncFile(file), name); err != nil {
		return err
	}
	return f.sync()
}

// writeTemp writes data to a new temporary file in f (0600, created
// exclusively, so never through a link) and returns it still open, not yet
// synced. A failed write leaves no temporary file behind.
func (f *folder) writeTemp(data []byte) (string, *os.File, error) {
	if err := f.t.joinSessions(); err != nil {
		return "", nil, err
	}
	tmp, file, err := f.createTemp()
	if err != nil {
		return "", nil, err
	}
	if _, err := file.Write(data); err != nil {
		_ = file.Close()
		return "", nil, f.discardTemp(tmp, err)
	}
	return tmp, file, nil
}

// renameTemp closes the temporary file tmp that writeTemp returned and,
// unless synced (the result of its fsync) is an error, renames it over
// name. The rename is durable once f is synced. On failure the temporary
// file is removed.
func (f *folder) renameTemp(tmp string, file *os.File, synced error, name string) error {
	err := file.Close()
	if synced != nil {
		err = synced
	}
	if err == nil {
		if f.t.placing != nil {
			f.t.placing(f.path(name))
		}
		err = f.Rename(tmp, name)
	}
	if err != nil {
		return f.discardTemp(tmp, err)
	}
	return nil
}

// discardTemp removes the temporary file of a write that failed with err.
// One that cannot be removed (it may hold a private key) abandons the
// session, so that the next Open looks at every file and removes it.
func (f *folder) discardTemp(tmp string, err error) error {
	if f.removeTemp(tmp) != nil {
		return errors.Join(err, f.t.abandonSession())
	}
	return err
}

// syncFile fsyncs file unless the store skips fsyncs.
func (t *tree) syncFile(file *os.File) error {
	if !t.durable {
		return nil
	}
	return file.Sync()
}

// removeTemp removes the temporary file name after a failed write.
func (f *folder) removeTemp(name string) error {
	if f.t.removingTemp != nil {
		if err := f.t.removingTemp(f.path(name)); err != nil {
			return err
		}
	}
	return f.Remove(name)
}

func (f *folder) createTemp() (string, *os.File, error) {
	for {
		name := tmpPrefix + strconv.FormatUint(rand.Uint64(), 36)
		file, err := f.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
		if !errors.Is(err, fs.ErrExist) {
			return name, file, err
		}
	}
}

// remove removes name from f durably.
func (f *folder) remove(name string) error {
	if err := f.Remove(name); err != nil {
		return err
	}
	return f.sync()
}

// readDir lists f.
func (f *folder) readDir() ([]fs.DirEntry, error) {
	d, err := f.Open(".")
	if err != nil {
		return nil, err
	}
	defer func() { _ = d.Close() }()
	return d.ReadDir(-1)
}

// names lists the names in f. Unlike readDir it looks at no entry: a
// directory opened in an os.Root lstats every entry as it reads it (one
// system call each, one after another), and a namespace directory of 100k
// certificates holds 100k files, each looked at again when it is read.
func (f *folder) names() ([]string, error) {
	d, err := f.Open(".")
	if err != nil {
		return nil, err
	}
	defer func() { _ = d.Close() }()
	return d.Readdirnames(-1)
}

// sync makes the creation, rename or removal of an entry of f durable.
func (f *folder) sync() error {
	if !f.t.durable || !syncDirs {
		return nil
	}
	d, err := f.Open(".")
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err == nil && f.t.synced != nil {
		f.t.synced(f.abs)
	}
	return err
}

// checkDir refuses anything at abs but a directory other users cannot write.
func checkDir(abs string, fi fs.FileInfo) error {
	if !fi.IsDir() {
		return &UnsafePathError{Path: abs, Problem: "is " + describe(fi.Mode()) + ", not a directory; the store follows no links"}
	}
	return checkWritable(abs, fi, dirPerm)
}

// checkFile refuses anything at abs but a regular file other users cannot
// write.
func checkFile(abs string, fi fs.FileInfo) error { return checkFileMode(abs, fi.Mode()) }

// checkFileMode is checkFile given the mode alone.
func checkFileMode(abs string, mode fs.FileMode) error {
	if !mode.IsRegular() {
		return &UnsafePathError{Path: abs, Problem: "is " + describe(mode) + ", not a regular file; the store follows no links"}
	}
	return checkWritableMode(abs, mode, filePerm)
}

func checkWritable(abs string, fi fs.FileInfo, want fs.FileMode) error {
	return checkWritableMode(abs, fi.Mode(), want)
}

// checkWritableMode is checkWritable given the mode alone.
func checkWritableMode(abs string, mode fs.FileMode, want fs.FileMode) error {
	if perm := mode.Perm(); checkModes && perm&othersWrite != 0 {
		return &UnsafePathError{Path: abs, Problem: fmt.Sprintf(
			"mode %04o is writable by other users, who could have planted or altered objects; check it and chmod it to %04o", perm, want)}
	}
	return nil
}

func describe(m fs.FileMode) string {
	switch t := m.Type(); {
	case t&fs.ModeSymlink != 0:
		return "a symbolic link"
	case t&fs.ModeDir != 0:
		return "a directory"
	case t == 0:
		return "a regular file"
	default:
		return "a special file (" + t.String() + ")"
	}
}
