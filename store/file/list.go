package file

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/internal/objects"
)

// List returns the matching objects sorted by namespace, name and kind, and
// the revision they were read at. It reads under the shared lock so that the
// revision and the files agree. Corrupt files are left out and reported
// together in the error (errors.Join, each wrapping store.ErrCorrupt and
// naming the file) while the result still holds every good object.
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
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.lockFile == nil {
		return store.ListResult{}, fmt.Errorf("file: list: %w", ErrClosed)
	}
	lock, err := sharedLock(s.lockPath())
	if err != nil {
		return store.ListResult{}, fmt.Errorf("file: list: %w", err)
	}
	defer func() { _ = lock.Close() }()

	rev, err := s.readRevision()
	if err != nil {
		return store.ListResult{}, fmt.Errorf("file: list: %w", err)
	}
	kinds, err := subdirs(s.objDir, string(opts.Kind))
	if err != nil {
		return store.ListResult{}, fmt.Errorf("file: list: %w", err)
	}
	res := store.ListResult{Revision: rev}
	var bad []error
	for _, kind := range kinds {
		nsFilter := opts.Namespace
		if nsFilter == "" && meta.Kind(kind).ClusterScoped() {
			nsFilter = clusterDir
		}
		namespaces, err := subdirs(filepath.Join(s.objDir, kind), nsFilter)
		if err != nil {
			return store.ListResult{}, fmt.Errorf("file: list: %w", err)
		}
		for _, ns := range namespaces {
			items, errs, err := s.listDir(meta.Kind(kind), ns, opts)
			if err != nil {
				return store.ListResult{}, fmt.Errorf("file: list: %w", err)
			}
			res.Items = append(res.Items, items...)
			bad = append(bad, errs...)
		}
	}
	slices.SortFunc(res.Items, func(a, b store.Raw) int { return objects.Compare(a.Ref, b.Ref) })
	return res, errors.Join(bad...)
}

// listDir reads the object files of one kind and namespace directory.
// Per-file decoding problems are returned in bad; err is for I/O failures.
func (s *Store) listDir(kind meta.Kind, nsDir string, opts store.ListOptions) (items []store.Raw, bad []error, err error) {
	dir := filepath.Join(s.objDir, string(kind), nsDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	ns := nsDir
	if ns == clusterDir {
		ns = ""
	}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || e.IsDir() || strings.HasPrefix(name, ".") || name == "" {
			continue // temporary files and strangers
		}
		ref := meta.Ref{Kind: kind, Namespace: ns, Name: name}
		path := filepath.Join(dir, e.Name())
		r, err := readRecord(path, ref)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue // deleted by a Delete of a process ignoring the lock
		case errors.Is(err, store.ErrCorrupt):
			bad = append(bad, fmt.Errorf("file: list: %w", err))
			continue
		case err != nil:
			return nil, nil, err
		}
		if opts.Matches(ref, &r.Metadata) {
			items = append(items, store.Raw{Ref: ref, ResourceVersion: r.Metadata.ResourceVersion, Data: r.Object})
		}
	}
	return items, bad, nil
}

// subdirs lists the directories in dir, or just only if it is set and
// exists. A missing dir has none.
func subdirs(dir, only string) ([]string, error) {
	if only != "" {
		fi, err := os.Stat(filepath.Join(dir, only))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if err != nil || !fi.IsDir() {
			return nil, err
		}
		return []string{only}, nil
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// readRevision returns the latest revision in the change log; the caller
// holds a lock.
func (s *Store) readRevision() (uint64, error) {
	f, err := os.Open(s.logPath)
	if err != nil {
		return 0, err
	}
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	st, err := readLogState(f, fi)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", s.logPath, err)
	}
	return st.rev, nil
}
