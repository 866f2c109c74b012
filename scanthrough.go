package certflow

import (
	"context"

	"github.com/certflow/certflow/store"
)

// The Manager's Store wrappers pass store.Scanner on, as they pass
// store.ObjectLister (listobjects.go), so that a resync scans the Store
// through them: a wrapper that embeds store.Store would hide Scan, and
// the resync would hold the whole list at once.
var (
	_ store.Scanner = (*listedReads)(nil)
	_ store.Scanner = listedWrites{}
	_ store.Scanner = (*ownWritesStore)(nil)
	_ store.Scanner = (*writesThrough)(nil)
)

// Scan is List's: answered by the Store, and so is the rest of the visit.
func (l *listedReads) Scan(ctx context.Context, opts store.ListOptions, fn func(store.Raw) error) (uint64, error) {
	if l.passing() {
		return store.ScanOf(ctx, l.Store, opts, fn)
	}
	if v, _ := ctx.Value(listedVisitKey{}).(*listedVisit); v != nil {
		v.ahead.Store(true)
	}
	return store.ScanOf(ctx, l.Store, opts, fn)
}

// Scan reads the Store, as List does.
func (w listedWrites) Scan(ctx context.Context, opts store.ListOptions, fn func(store.Raw) error) (uint64, error) {
	return store.ScanOf(ctx, w.Store, opts, fn)
}

// Scan reads the Store, as List does.
func (s *ownWritesStore) Scan(ctx context.Context, opts store.ListOptions, fn func(store.Raw) error) (uint64, error) {
	return store.ScanOf(ctx, s.Store, opts, fn)
}

// Scan reads the Store, as List does.
func (s *writesThrough) Scan(ctx context.Context, opts store.ListOptions, fn func(store.Raw) error) (uint64, error) {
	return store.ScanOf(ctx, s.Store, opts, fn)
}
