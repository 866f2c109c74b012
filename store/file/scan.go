package file

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/internal/objects"
)

var _ store.Scanner = (*Store)(nil)

// scanChunk is how many object files Scan reads (in parallel, as List
// does) before handing them over: the most object bytes it holds at once.
const scanChunk = 1024

// Scan hands over what List returns one object at a time, under the one
// shared lock List takes: it lists the names of every matching file,
// sorts them as List sorts its items, and reads them a chunk at a time,
// so it holds the bytes of at most scanChunk objects. Corrupt files and
// unsafe paths are left out and reported together, as List reports them.
//
// fn runs under that lock, so every write (of this process or another)
// waits for the scan and what fn does: fn calling the Store deadlocks
// (store.Scanner). Releasing the lock between chunks would let writes in,
// and the objects handed over would no longer be those of one revision,
// which is what a Watch from the returned revision relies on; a Scan
// made again whenever a write came between two chunks would never end on
// a Store written to all the time. So the lock is held to the end.
func (s *Store) Scan(ctx context.Context, opts store.ListOptions, fn func(store.Raw) error) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("file: list: %w", err)
	}
	if opts.Kind != "" {
		if err := objects.ValidateName("kind", string(opts.Kind)); err != nil {
			return 0, fmt.Errorf("file: list: %w", err)
		}
	}
	if opts.Namespace != "" {
		if err := objects.ValidateName("namespace", opts.Namespace); err != nil {
			return 0, fmt.Errorf("file: list: %w", err)
		}
	}
	rev, bad, err := s.scan(ctx, opts, fn)
	if errors.Is(err, errLogDamaged) {
		// Found before any object was handed over (the revision is read
		// first). Readers cannot repair the log; a writer's lock can.
		if err = s.exclusive(s.repairLogIfDamaged); err == nil {
			rev, bad, err = s.scan(ctx, opts, fn)
		}
	}
	var stopped stoppedByFn
	if errors.As(err, &stopped) {
		return 0, stopped.err
	}
	if err != nil {
		return 0, fmt.Errorf("file: list: %w", err)
	}
	return rev, errors.Join(bad...)
}

// stoppedByFn carries the error of Scan's fn out of scan, to be returned
// as it is.
type stoppedByFn struct{ err error }

func (e stoppedByFn) Error() string { return e.err.Error() }

// scanDir is one kind and namespace directory of objects.
type scanDir struct {
	rel  string // inside the tree
	kind meta.Kind
	ns   string
}

// scanName is one object file found by Scan: its name (without .json) in
// dirs[dir].
type scanName struct {
	name    string
	dir     int32
	regular bool
}

func (s *Store) scan(ctx context.Context, opts store.ListOptions, fn func(store.Raw) error) (rev uint64, bad []error, err error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.lockFile == nil {
		return 0, nil, ErrClosed
	}
	lock, err := sharedLock(&s.tree)
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = lock.Close() }()

	if rev, err = readRevision(s.tree.top()); err != nil {
		return 0, nil, err
	}
	var dirs []scanDir
	var names []scanName
	bad, err = s.eachObjectDir(string(opts.Kind), opts.Namespace, func(kind meta.Kind, ns string, d *folder) error {
		all, err := d.entries()
		if err != nil {
			return err
		}
		dir := int32(len(dirs))
		dirs = append(dirs, scanDir{rel: d.rel, kind: kind, ns: ns})
		for _, e := range all {
			name, ok := strings.CutSuffix(e.name, ".json")
			if !ok || strings.HasPrefix(name, ".") || name == "" {
				continue // temporary files and strangers
			}
			names = append(names, scanName{name: name, dir: dir, regular: e.regular})
		}
		return nil
	})
	if err != nil {
		return 0, bad, err
	}
	ref := func(n scanName) meta.Ref {
		d := dirs[n.dir]
		return meta.Ref{Kind: d.kind, Namespace: d.ns, Name: n.name}
	}
	slices.SortFunc(names, func(a, b scanName) int { return store.CompareRefs(ref(a), ref(b)) })
	for lo := 0; lo < len(names); lo += scanChunk {
		if err := ctx.Err(); err != nil {
			return 0, bad, err
		}
		chunk := names[lo:min(lo+scanChunk, len(names))]
		reads, err := s.readChunk(dirs, chunk, ref, opts)
		if err != nil {
			return 0, bad, err
		}
		for i := range reads {
			r := reads[i]
			reads[i] = listRead{} // handed over: not kept past its turn
			switch {
			case r.err != nil:
				return 0, bad, r.err
			case r.bad != nil:
				bad = append(bad, r.bad)
			case r.keep:
				if err := fn(r.item); err != nil {
					return 0, bad, stoppedByFn{err}
				}
			}
		}
	}
	return rev, bad, nil
}

// readChunk reads the files of chunk, on up to GOMAXPROCS goroutines that
// all end before it returns. Each goroutine reads its files a directory at
// a time and has one open at once: a chunk in List's order interleaves
// the kinds of a namespace, and spans as many namespaces as it has files
// when each holds few, so holding every directory of the chunk open at
// once took up to two descriptors a file (1,100 namespaces of one object:
// "too many open files" under a limit of 400, where List reads them).
func (s *Store) readChunk(dirs []scanDir, chunk []scanName, ref func(scanName) meta.Ref, opts store.ListOptions) ([]listRead, error) {
	byDir := make([]int, len(chunk))
	for i := range byDir {
		byDir[i] = i
	}
	slices.SortStableFunc(byDir, func(a, b int) int { return int(chunk[a].dir) - int(chunk[b].dir) })
	reads := make([]listRead, len(chunk))
	errs := make([]error, len(chunk))
	want := wantedBy(opts)
	readRange := func(lo, hi int) {
		var scratch []byte // each file is read into it in turn
		var d *folder
		var open int32 = -1
		var openErr error
		defer func() {
			if d != nil {
				d.close()
			}
		}()
		for _, i := range byDir[lo:hi] {
			n := chunk[i]
			if n.dir != open {
				if d != nil {
					d.close()
				}
				d, openErr = s.tree.open(dirs[n.dir].rel, false)
				open = n.dir
				if errors.Is(openErr, fs.ErrNotExist) {
					d, openErr = nil, nil // removed by a process ignoring the lock: its files are gone
				}
			}
			switch {
			case openErr != nil:
				errs[i] = openErr
			case d != nil:
				reads[i] = readListed(d, n.name, n.regular, ref(n), want, opts, &scratch)
			}
		}
	}
	readInParallel(len(chunk), readRange)
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return reads, nil
}
