package file

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/internal/objects"
)

// List returns the matching objects sorted by namespace, name and kind, and
// the revision they were read at. It reads under the shared lock so that the
// revision and the files agree. Corrupt files, and links or other unsafe
// paths, are left out and reported together in the error (errors.Join, each
// wrapping store.ErrCorrupt or ErrUnsafePath and naming the path) while the
// result still holds every good object.
func (s *Store) List(ctx context.Context, opts store.ListOptions) (store.ListResult, error) {
	if err := ctx.Err(); err != nil {
		return store.ListResult{}, fmt.Errorf("file: list: %w", err)
	}
	// The filters become path elements: they must not escape the directory.
	if opts.Kind != "" {
		if err := objects.ValidateName("kind", string(opts.Kind)); err != nil {
			return store.ListResult{}, fmt.Errorf("file: list: %w", err)
		}
	}
	if opts.Namespace != "" {
		if err := objects.ValidateName("namespace", opts.Namespace); err != nil {
			return store.ListResult{}, fmt.Errorf("file: list: %w", err)
		}
	}
	res, bad, err := s.list(opts)
	if errors.Is(err, errLogDamaged) {
		// Readers cannot repair the log; a writer's lock can.
		if err = s.exclusive(s.repairLogIfDamaged); err == nil {
			res, bad, err = s.list(opts)
		}
	}
	if err != nil {
		return store.ListResult{}, fmt.Errorf("file: list: %w", err)
	}
	return res, errors.Join(bad...)
}

func (s *Store) list(opts store.ListOptions) (res store.ListResult, bad []error, err error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.lockFile == nil {
		return res, nil, ErrClosed
	}
	lock, err := sharedLock(&s.tree)
	if err != nil {
		return res, nil, err
	}
	defer func() { _ = lock.Close() }()

	if res.Revision, err = readRevision(s.tree.top()); err != nil {
		return res, nil, err
	}
	var badFiles []error
	bad, err = s.eachObjectDir(string(opts.Kind), opts.Namespace, func(kind meta.Kind, ns string, d *folder) error {
		items, errs, err := listDir(d, kind, ns, opts)
		res.Items = append(res.Items, items...)
		badFiles = append(badFiles, errs...)
		return err
	})
	slices.SortFunc(res.Items, func(a, b store.Raw) int { return store.CompareRefs(a.Ref, b.Ref) })
	return res, append(bad, badFiles...), err
}

// eachObjectDir calls fn with every namespace directory of objects, or just
// those of kind and namespace when they are set. Links and other unsafe
// entries are skipped and returned in bad; err is for I/O failures.
func (s *Store) eachObjectDir(kind, namespace string, fn func(kind meta.Kind, ns string, d *folder) error) (bad []error, err error) {
	kinds, bad, err := s.subdirs(objectsDir, kind)
	if err != nil {
		return bad, err
	}
	for _, k := range kinds {
		nsFilter := namespace
		if nsFilter == "" && meta.Kind(k).ClusterScoped() {
			nsFilter = clusterDir
		}
		kindDir := path.Join(objectsDir, k)
		namespaces, errs, err := s.subdirs(kindDir, nsFilter)
		bad = append(bad, errs...)
		if err != nil {
			return bad, err
		}
		for _, nsDir := range namespaces {
			d, err := s.tree.open(path.Join(kindDir, nsDir), false)
			switch {
			case errors.Is(err, ErrUnsafePath):
				bad = append(bad, err)
				continue
			case errors.Is(err, fs.ErrNotExist):
				continue // removed meanwhile
			case err != nil:
				return bad, err
			}
			ns := nsDir
			if ns == clusterDir {
				ns = ""
			}
			err = fn(meta.Kind(k), ns, d)
			d.close()
			if err != nil {
				return bad, err
			}
		}
	}
	return bad, nil
}

// readsPerWorker is the fewest object files worth a goroutine of their own.
const readsPerWorker = 256

// readInParallel calls readRange over [0, n) split on up to GOMAXPROCS
// goroutines, readsPerWorker files or more each, all ended when it
// returns: List and Scan read and check every object file, work one
// goroutine would do on one core.
func readInParallel(n int, readRange func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), n/readsPerWorker)
	if workers <= 1 {
		readRange(0, n)
		return
	}
	var wg sync.WaitGroup
	per := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += per {
		wg.Go(func() { readRange(lo, min(lo+per, n)) })
	}
	wg.Wait()
}

// listDir reads the object files of one kind and namespace directory, on up
// to GOMAXPROCS goroutines that all end before it returns: a Manager starting
// on a store of 100k certificates lists some 300k files, and reading them one
// after another is most of its start. Per-file problems are returned in
// bad; err is for I/O failures.
func listDir(d *folder, kind meta.Kind, ns string, opts store.ListOptions) (items []store.Raw, bad []error, err error) {
	all, err := d.entries()
	if err != nil {
		return nil, nil, err
	}
	names := all[:0]
	for _, e := range all {
		name, ok := strings.CutSuffix(e.name, ".json")
		if !ok || strings.HasPrefix(name, ".") || name == "" {
			continue // temporary files and strangers
		}
		names = append(names, dirEntry{name: name, regular: e.regular})
	}
	reads := make([]listRead, len(names))
	want := wantedBy(opts)
	readRange := func(lo, hi int) {
		var scratch []byte // each file is read into it in turn
		for i := lo; i < hi; i++ {
			ref := meta.Ref{Kind: kind, Namespace: ns, Name: names[i].name}
			reads[i] = readListed(d, names[i].name, names[i].regular, ref, want, opts, &scratch)
		}
	}
	readInParallel(len(names), readRange)
	for _, r := range reads {
		switch {
		case r.err != nil:
			return nil, nil, r.err
		case r.bad != nil:
			bad = append(bad, r.bad)
		case r.keep:
			items = append(items, r.item)
		}
	}
	return items, bad, nil
}

// listRead is what List (and Scan) made of one object file.
type listRead struct {
	item store.Raw
	keep bool
	bad  error // this file only
	err  error // the whole list
}

// readListed reads the object file of name (without .json) in d as List
// lists it.
func readListed(d *folder, name string, regular bool, ref meta.Ref, want *metaWanted, opts store.ListOptions, scratch *[]byte) listRead {
	r, err := readRecord(d, name+".json", regular, ref, want, scratch)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// deleted by a Delete of a process ignoring the lock
	case errors.Is(err, ErrUnsafePath) && isDir(d, name+".json"):
		// a stranger (names were listed without looking at them)
	case errors.Is(err, store.ErrCorrupt), errors.Is(err, ErrUnsafePath):
		return listRead{bad: fmt.Errorf("file: list: %w", err)}
	case err != nil:
		return listRead{err: err}
	case opts.Matches(ref, &r.Metadata):
		return listRead{item: store.Raw{Ref: ref, ResourceVersion: r.Metadata.ResourceVersion, Data: r.Object}, keep: true}
	}
	return listRead{}
}

// isDir reports whether name in f is a directory.
func isDir(f *folder, name string) bool {
	fi, err := f.Lstat(name)
	return err == nil && fi.IsDir()
}

// subdirs lists the directories in dir (inside the tree), or just only if
// it is set and exists. A missing dir has none. Entries that are links (or
// anything but a directory or a file) are returned in bad.
func (s *Store) subdirs(dir, only string) (names []string, bad []error, err error) {
	d, err := s.tree.open(dir, false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if errors.Is(err, ErrUnsafePath) {
		return nil, []error{err}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	defer d.close()
	if only != "" {
		fi, err := d.Lstat(only)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, nil, nil
		case err != nil:
			return nil, nil, err
		case fi.Mode().IsRegular():
			return nil, nil, nil // a stranger
		}
		if err := checkDir(d.path(only), fi); err != nil {
			return nil, []error{err}, nil
		}
		return []string{only}, nil, nil
	}
	entries, err := d.readDir()
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		switch {
		case strings.HasPrefix(e.Name(), "."):
		case e.IsDir():
			names = append(names, e.Name())
		case !e.Type().IsRegular():
			bad = append(bad, &UnsafePathError{Path: d.path(e.Name()), Problem: "is " + describe(e.Type()) + ", not a directory; the store follows no links"})
		}
	}
	return names, bad, nil
}

// readRevision returns the latest revision in the change log in d; the
// caller holds a lock. A log that is missing, lacks its header or ends in
// a damaged line is errLogDamaged.
func readRevision(d *folder) (uint64, error) {
	f, err := d.openFile(logName, os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("%w: %w", errLogDamaged, err)
	}
	if err != nil {
		return 0, err
	}
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	st, err := readLogState(f, fi)
	if err == nil && !st.header {
		err = fmt.Errorf("%w: no header", errLogDamaged)
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %w", d.path(logName), err)
	}
	return st.rev, nil
}
