package file

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
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

// clusterDir names the namespace directory of cluster-scoped objects.
const clusterDir = "_cluster"

// ErrClosed is returned by operations on a closed Store.
var ErrClosed = errors.New("file: store closed")

// Option configures Open.
type Option func(*options)

type options struct {
	clock   clock.Clock
	poll    time.Duration
	history int
	noSync  bool
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

// Store keeps objects as files in one directory. The zero value is not
// usable; call Open. It is safe for concurrent use by goroutines and by
// processes sharing the directory, starts no goroutines except one per
// Watch, and must be closed.
type Store struct {
	dir, objDir, leaseDir, logPath string
	clock                          clock.Clock
	poll                           time.Duration
	history                        int
	durable                        bool

	mu       sync.RWMutex // writers hold it exclusively, List shared
	lockFile *os.File     // exclusive flock target; nil once closed
	lastRev  uint64       // highest revision this process saw: a floor should the log vanish
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the store in dir.
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
	s := &Store{
		dir: dir, objDir: filepath.Join(dir, "objects"), leaseDir: filepath.Join(dir, "leases"),
		logPath: filepath.Join(dir, "changes.log"),
		clock:   o.clock, poll: o.poll, history: o.history, durable: !o.noSync,
	}
	for _, d := range []string{dir, s.objDir, s.leaseDir} {
		if err := os.MkdirAll(d, dirPerm); err != nil {
			return nil, fmt.Errorf("file: open: %w", err)
		}
	}
	f, err := os.OpenFile(s.lockPath(), os.O_RDWR|os.O_CREATE, filePerm)
	if err != nil {
		return nil, fmt.Errorf("file: open: %w", err)
	}
	s.lockFile = f
	// Make sure the change log exists with its header, so readers find a
	// revision without writing.
	if err := s.exclusive(func() error {
		lf, st, err := s.openLog()
		if err != nil {
			return err
		}
		s.lastRev = st.rev
		return lf.Close()
	}); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("file: open %s: %w", dir, err)
	}
	return s, nil
}

// Close releases the store's lock descriptor. Watches end with their ctx.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lockFile == nil {
		return nil
	}
	err := s.lockFile.Close()
	s.lockFile = nil
	return err
}

func (s *Store) lockPath() string { return filepath.Join(s.dir, "store.lock") }

// exclusive runs fn holding the process mutex and the exclusive flock.
func (s *Store) exclusive(fn func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lockFile == nil {
		return ErrClosed
	}
	if err := flock(s.lockFile, syscall.LOCK_EX); err != nil {
		return err
	}
	defer func() { _ = flock(s.lockFile, syscall.LOCK_UN) }()
	return fn()
}

func (s *Store) objectPath(ref meta.Ref) string {
	ns := ref.Namespace
	if ns == "" {
		ns = clusterDir
	}
	return filepath.Join(s.objDir, string(ref.Kind), ns, ref.Name+".json")
}

// record is the content of an object file.
type record struct {
	Kind     meta.Kind       `json:"kind"`
	Metadata meta.ObjectMeta `json:"metadata"`
	Object   json.RawMessage `json:"object"`
}

// readRecord reads and decodes an object file. A missing file is
// fs.ErrNotExist; an undecodable one wraps store.ErrCorrupt and names it.
func readRecord(path string, ref meta.Ref) (*record, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, &store.CorruptError{Ref: ref, Where: path, Err: err}
	}
	if len(r.Object) == 0 || r.Kind != ref.Kind || r.Metadata.Name != ref.Name || r.Metadata.Namespace != ref.Namespace {
		return nil, &store.CorruptError{Ref: ref, Where: path, Err: errors.New("the file does not hold this object")}
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
	path := s.objectPath(ref)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("file: get %s: %w", ref, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("file: get %s: %w", ref, err)
	}
	var r struct {
		Object json.RawMessage `json:"object"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return fmt.Errorf("file: get %s: %w: %s: %v", ref, store.ErrCorrupt, path, err)
	}
	if len(r.Object) == 0 {
		return fmt.Errorf("file: get %s: %w: %s: no object", ref, store.ErrCorrupt, path)
	}
	if err := objects.Decode(r.Object, into); err != nil {
		return fmt.Errorf("file: get %s: %s: %w", ref, path, err)
	}
	return nil
}

// maxObjectRevision returns the highest ResourceVersion among stored
// objects, ignoring files it cannot read.
func (s *Store) maxObjectRevision() (uint64, error) {
	var top uint64
	err := filepath.WalkDir(s.objDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".json" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		var r record
		if json.Unmarshal(data, &r) == nil {
			if rev, err := strconv.ParseUint(r.Metadata.ResourceVersion, 10, 64); err == nil {
				top = max(top, rev)
			}
		}
		return nil
	})
	return top, err
}
