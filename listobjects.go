package certflow

import (
	"context"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// The Manager's Store wrappers pass store.ObjectLister on, so that a
// reconciler's ListOf reaches the memory store's typed list (no JSON round
// trip per listed object) through them. A wrapper that embeds store.Store
// would otherwise hide it, and every list would be encoded and parsed again.
var (
	_ store.ObjectLister = (*listedReads)(nil)
	_ store.ObjectLister = listedWrites{}
	_ store.ObjectLister = (*ownWritesStore)(nil)
	_ store.ObjectLister = (*writesThrough)(nil)
)

// ListObjects is List's: answered by the Store, and so is the rest of the
// visit.
func (l *listedReads) ListObjects(ctx context.Context, opts store.ListOptions, newObject func() meta.Object) ([]meta.Object, error) {
	if l.passing() {
		return store.ListObjectsOf(ctx, l.Store, opts, newObject)
	}
	if v, _ := ctx.Value(listedVisitKey{}).(*listedVisit); v != nil {
		v.ahead.Store(true)
	}
	return store.ListObjectsOf(ctx, l.Store, opts, newObject)
}

// ListObjects reads the Store, as List does.
func (w listedWrites) ListObjects(ctx context.Context, opts store.ListOptions, newObject func() meta.Object) ([]meta.Object, error) {
	return store.ListObjectsOf(ctx, w.Store, opts, newObject)
}

// ListObjects reads the Store, as List does.
func (s *ownWritesStore) ListObjects(ctx context.Context, opts store.ListOptions, newObject func() meta.Object) ([]meta.Object, error) {
	return store.ListObjectsOf(ctx, s.Store, opts, newObject)
}

// ListObjects reads the Store, as List does.
func (s *writesThrough) ListObjects(ctx context.Context, opts store.ListOptions, newObject func() meta.Object) ([]meta.Object, error) {
	return store.ListObjectsOf(ctx, s.Store, opts, newObject)
}
