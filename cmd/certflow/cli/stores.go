package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
)

// Store is a store.Store the command closes when it is done.
type Store interface {
	store.Store
	Close() error
}

// A StoreOpener opens the store that a --store URL names; location is what
// follows "scheme://". A location it cannot read gets an error wrapping
// ErrUsage.
type StoreOpener func(ctx context.Context, location string) (Store, error)

// Stores maps --store URL schemes to their openers. A location without a
// scheme is a file store directory.
type Stores map[string]StoreOpener

// DefaultStores are the stores of the root module: file://DIR.
func DefaultStores() Stores { return Stores{"file": OpenFile} }

// fileStoreMarker is a file every file store directory holds (its change
// log, in the layout package file documents).
const fileStoreMarker = "changes.log"

// errNoStore is a --store that names nothing to open.
var errNoStore = errors.New("no such store")

// OpenFile opens the file store in the directory dir, which must exist and
// be a store or empty: a mistyped path must not silently become a new store,
// nor fill another directory with one.
func OpenFile(_ context.Context, dir string) (Store, error) {
	if dir == "" {
		return nil, usagef("store file://: no directory")
	}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("%w: file://%s: the directory does not exist (create it, or point --store at a Manager's store)", errNoStore, dir)
	case err != nil:
		return nil, fmt.Errorf("store file://%s: %w", dir, err)
	case !fi.IsDir():
		return nil, fmt.Errorf("%w: file://%s: not a directory", errNoStore, dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("store file://%s: %w", dir, err)
	}
	if len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(dir, fileStoreMarker)); err != nil {
			return nil, fmt.Errorf("%w: file://%s: not a certflow store (no %s) and not empty", errNoStore, dir, fileStoreMarker)
		}
	}
	return file.Open(dir)
}

func (s Stores) open(ctx context.Context, loc string) (Store, error) {
	scheme, rest, ok := strings.Cut(loc, "://")
	if !ok {
		scheme, rest = "file", loc
	}
	open, found := s[scheme]
	if !found {
		known := make([]string, 0, len(s))
		for k := range s {
			known = append(known, k+"://")
		}
		sort.Strings(known)
		hint := ""
		if scheme == "etcd" {
			hint = " (etcd:// is served by the certflow command of the etcd store's own module: " +
				"go install github.com/certflow/certflow/store/etcd/cmd/certflow@latest)"
		}
		return nil, usagef("store %q: unknown scheme %q; this certflow knows %s%s", loc, scheme, strings.Join(known, ", "), hint)
	}
	return open(ctx, rest)
}
