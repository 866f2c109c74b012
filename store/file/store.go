package file

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"sync"
	"time"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/internal/objects"
)

// Defaults for the options.
const (
	DefaultPollInterval = 100 * time.Millisecond
	DefaultHistory      = 10000
)

// Names inside the store directory.
const (
	clusterDir = "_cluster" // the namespace directory of cluster-scoped objects
	objectsDir = "objects"
	leasesDir  = "leases"
	logName    = "changes.log"
	lockName   = "store.lock"
)

// Option configures Open.
type Option func(*options)

type options struct {
	clock   clock.Clock
	poll    time.Duration
	history int
	noSync  bool
	full    bool
	log     *slog.Logger
	synced  func(path string) // see tree.synced
	// removingTemp: see tree.removingTemp.
	removingTemp func(path string) error
	placing      func(path string) // see tree.placing
}

// WithClock sets the clock that stamps CreationTime and expires leases. If c
// is nil (or the option is absent) clock.Real is used.
func WithClock(c clock.Clock) Option { return func(o *options) { o.clock = c } }

// WithPollInterval sets how often a Watch looks for changes. If d <= 0 (or the
// option is absent) DefaultPollInterval is used.
func WithPollInterval(d time.Duration) Option { return func(o *options) { o.poll = d } }

// WithHistory sets how many recent changes the change log keeps for Watch to
// replay; it grows to twice that before it is trimmed. If n <= 0 (or the
// option is absent) DefaultHistory is used.
func WithHistory(n int) Option { return func(o *options) { o.history = n } }

// WithoutSync skips every fsync. A crash may then lose or tear recent writes;
// use it only for throwaway directories (tests). Without it every write is
// durable when it returns.
func WithoutSync() Option { return func(o *options) { o.noSync = true } }

// WithFullOpen makes Open look at every file of the store, as it always
// does after a crash: it refuses links, special files and files other
// users can write anywhere in the store before returning (ErrUnsafePath,
// each path named), makes private every file other users can read, and
// reads every line of the change log, repairing damage anywhere in it.
// Without it Open does all that only when a process that was writing to
// the store may have died mid-write (leaving a temporary file, which may
// hold a private key), or when the store was last opened by a version
// that kept no session records; otherwise it looks at the directories,
// the leases and the change log's ends, and each object file is checked
// and made private when it is first read instead (see the package
// documentation). At 100k certificates a store holds some 700k files:
// the full look costs seconds. Use it when the directory may have been
// changed by hand or by another program (a copied or restored backup),
// or when a problem should stop Open rather than the operation that
// meets it.
func WithFullOpen() Option { return func(o *options) { o.full = true } }

// WithQuickOpen asked for what Open now does by default.
//
// Deprecated: quick Open is the default; WithFullOpen asks for the full
// look. WithQuickOpen changes nothing, and does not undo WithFullOpen.
func WithQuickOpen() Option { return func(*options) {} }

// WithLogger sets where the store reports what it repaired, tightened or
// removed (at Open, when it first reads a file other users could read, or
// when a writer finds the change log damaged). It logs
// paths, modes and revisions, never file contents. If l is nil (or the
// option is absent) nothing is logged.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// Store keeps objects as files in one directory. The zero value is not
// usable; call Open. It is safe for concurrent use by goroutines and by
// processes sharing the directory, starts no goroutines that outlive a
// call except one per Watch (CreateBatch fsyncs files on a few at once and
// waits for them), and must be closed.
type Store struct {
	tree    tree
	clock   clock.Clock
	poll    time.Duration
	history int
	log     *slog.Logger

	mu       sync.RWMutex // writers hold it exclusively, List shared
	lockFile *os.File     // exclusive lock target; nil once closed
	lastRev  uint64       // highest revision this process saw: a floor should the log vanish
	full     bool         // WithFullOpen
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the store in dir. It refuses, with errors
// matching ErrUnsafePath that name each path, a store holding links or
// anything other users can write: among its directories, leases and own
// files always, among the object files after a crash or WithFullOpen (else
// each operation that meets one refuses it). See the package documentation
// for what it repairs instead.
func Open(dir string, opts ...Option) (*Store, error) {
	o := options{clock: clock.Real{}, poll: DefaultPollInterval, history: DefaultHistory}
	for _, opt := range opts {
		opt(&o)
	}
	if o.clock == nil {
		o.clock = clock.Real{}
	}
	if o.poll <= 0 {
		o.poll = DefaultPollInterval
	}
	if o.history <= 0 {
		o.history = DefaultHistory
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	s := &Store{
		tree:  tree{dir: dir, durable: !o.noSync, synced: o.synced, removingTemp: o.removingTemp, placing: o.placing, log: o.log},
		clock: o.clock, poll: o.poll, history: o.history, log: o.log, full: o.full,
	}
	if holdDirs {
		s.tree.dirs = &heldDirs{}
	}
	if err := s.open(); err != nil {
		if s.tree.root != nil {
			_ = s.tree.leaveSessions()
			s.tree.dirs.close()
			_ = s.tree.root.Close()
		}
		if s.lockFile != nil {
			_ = s.lockFile.Close()
		}
		return nil, fmt.Errorf("file: open %s: %w", dir, err)
	}
	return s, nil
}

func (s *Store) open() error {
	if err := s.tree.mkdirAll(); err != nil {
		return err
	}
	root, err := os.OpenRoot(s.tree.dir)
	if err != nil {
		return err
	}
	s.tree.root = root
	// Refuse a directory others can write before putting anything in it.
	fi, err := root.Stat(".")
	if err != nil {
		return err
	}
	if err := checkWritable(s.tree.dir, fi, dirPerm); err != nil {
		return err
	}
	for _, d := range []string{objectsDir, leasesDir} {
		f, err := s.tree.open(d, true)
		if err != nil {
			return err
		}
		f.close()
	}
	if s.lockFile, err = s.tree.top().openFile(lockName, os.O_RDWR|os.O_CREATE, filePerm); err != nil {
		return err
	}
	return s.exclusive(func() error {
		sessions, err := s.readSessions()
		if err != nil {
			return err
		}
		full := s.full || !sessions.clean()
		if err := s.inspect(full); err != nil {
			return err
		}
		if !full {
			return s.checkLogEnd()
		}
		if err := s.forgetSessions(sessions); err != nil {
			return err
		}
		return s.checkLog()
	})
}

// mkdirAll creates the store directory and its missing parents, each made
// durable in its own parent.
func (t *tree) mkdirAll() error {
	dir := t.dir
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); !errors.Is(err, fs.ErrNotExist) {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	if err := os.MkdirAll(dir, dirPerm); err != nil {
		return err
	}
	if !t.durable || !syncDirs {
		return nil
	}
	for _, d := range missing {
		parent := filepath.Dir(d)
		if err := syncPath(parent); err != nil {
			return err
		}
		if t.synced != nil {
			t.synced(parent)
		}
	}
	return nil
}

// syncPath fsyncs the directory at path, outside the tree (the store
// directory's parents).
func syncPath(dir string) error {
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

// Close releases the store's lock descriptor and directory handle. Watches
// end with their ctx.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lockFile == nil {
		return nil
	}
	serr := s.tree.leaveSessions() // before the directory handle closes
	lerr := s.lockFile.Close()
	s.tree.dirs.close()
	rerr := s.tree.root.Close()
	s.lockFile = nil
	return errors.Join(serr, lerr, rerr)
}

// exclusive runs fn holding the process mutex and the exclusive file lock.
func (s *Store) exclusive(fn func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lockFile == nil {
		return ErrClosed
	}
	if err := lockFile(s.lockFile, true); err != nil {
		return err
	}
	defer func() { _ = unlockFile(s.lockFile) }()
	return fn()
}

// sharedLock opens its own descriptor on the lock file and takes a shared
// lock on it; an own descriptor is needed because locks on one descriptor
// do not exclude each other. The caller closes the file, which releases
// the lock.
func sharedLock(t *tree) (*os.File, error) {
	// Open made the file; never create it here, so a watch that outlives its
	// directory does not resurrect it.
	f, err := t.top().openFile(lockName, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	if err := lockFile(f, false); err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

// objectLocation returns the directory (inside the tree) and file name of
// the object ref names.
func objectLocation(ref meta.Ref) (dir, name string) {
	ns := ref.Namespace
	if ns == "" {
		ns = clusterDir
	}
	return path.Join(objectsDir, string(ref.Kind), ns), ref.Name + ".json"
}

// closedErr turns the error of a use of the closed directory handle into
// ErrClosed.
func closedErr(err error) error {
	if errors.Is(err, os.ErrClosed) {
		return ErrClosed
	}
	return err
}

// record is the content of an object file.
type record struct {
	Kind     meta.Kind       `json:"kind"`
	Metadata meta.ObjectMeta `json:"metadata"`
	Object   json.RawMessage `json:"object"`
}

// readRecord reads and decodes the object file name in d (listedRegular:
// a directory listing just called it a regular file; see readObjectFile);
// with listed set,
// only the metadata a List needs (see decodeRecord). A missing file is
// fs.ErrNotExist; an undecodable one wraps store.ErrCorrupt and names it.
// If scratch is not nil the file is read into it (and it is kept, grown
// if need be, for the next read); the record shares nothing with it.
func readRecord(d *folder, name string, listedRegular bool, ref meta.Ref, listed *metaWanted, scratch *[]byte) (*record, error) {
	var buf []byte
	if scratch != nil {
		buf = *scratch
	}
	data, err := d.readObjectFile(name, listedRegular, buf)
	if err != nil {
		return nil, err
	}
	if scratch != nil {
		*scratch = data
	}
	var r record
	if err := decodeRecord(data, &r, listed); err != nil {
		return nil, &store.CorruptError{Ref: ref, Where: d.path(name), Err: err}
	}
	if len(r.Object) == 0 || r.Kind != ref.Kind || r.Metadata.Name != ref.Name || r.Metadata.Namespace != ref.Namespace {
		return nil, &store.CorruptError{Ref: ref, Where: d.path(name), Err: errors.New("the file does not hold this object")}
	}
	return &r, nil
}

// Get decodes the object named ref into into (zeroed first). It takes no
// lock: object files are replaced atomically.
func (s *Store) Get(ctx context.Context, ref meta.Ref, into meta.Object) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("file: get %s: %w", ref, err)
	}
	if err := objects.ValidateRef(ref); err != nil {
		return fmt.Errorf("file: get: %w", err)
	}
	dir, name := objectLocation(ref)
	data, where, err := s.readObject(dir, name)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("file: get %s: %w", ref, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("file: get %s: %w", ref, closedErr(err))
	}
	// In the layout the store writes, one quick pass checks the file and
	// finds the object (see decodeRecord); otherwise encoding/json does.
	_, _, object, stored := storedParts(data)
	if !stored {
		var r struct {
			Object json.RawMessage `json:"object"`
		}
		if err := json.Unmarshal(data, &r); err != nil {
			return fmt.Errorf("file: get %s: %w: %s: %v", ref, store.ErrCorrupt, where, err)
		}
		object = r.Object
	}
	if len(object) == 0 {
		return fmt.Errorf("file: get %s: %w: %s: no object", ref, store.ErrCorrupt, where)
	}
	if err := objects.Decode(object, into); err != nil {
		return fmt.Errorf("file: get %s: %s: %w", ref, where, err)
	}
	return nil
}

func (s *Store) readObject(dir, name string) (data []byte, where string, err error) {
	d, err := s.tree.open(dir, false)
	if err != nil {
		return nil, "", err
	}
	defer d.close()
	data, err = d.readObjectFile(name, false, nil)
	return data, d.path(name), err
}
