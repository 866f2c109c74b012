package certflow

import (
	"context"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// The Manager's Store wrappers pass store.MetaReader on, as they do
// store.ObjectLister, so that a version check or an owner check reaches
// the memory store's metadata read through them instead of a Get decoding
// the whole object.
var (
	_ store.MetaReader = (*listedReads)(nil)
	_ store.MetaReader = listedWrites{}
	_ store.MetaReader = (*ownWritesStore)(nil)
	_ store.MetaReader = (*writesThrough)(nil)
)

// GetMeta is Get's: one the list may still answer is a Get, so that what
// the list answers, and the visit's record of it, stay Get's; a fresh
// read, or one in a visit already ahead of the list, is the Store's.
func (l *listedReads) GetMeta(ctx context.Context, ref meta.Ref, newObject func() meta.Object) (meta.ObjectMeta, error) {
	if l.passing() {
		return store.GetMetaOf(ctx, l.Store, ref, newObject)
	}
	v, _ := ctx.Value(listedVisitKey{}).(*listedVisit)
	fresh := store.FreshRead(ctx)
	if v != nil && !fresh && !v.ahead.Load() && l.active.Load() {
		if md, ok, err := l.sharedMeta(ctx, ref, newObject); ok {
			return md, err
		}
		obj := newObject()
		if err := l.Get(ctx, ref, obj); err != nil {
			return meta.ObjectMeta{}, err
		}
		return *obj.GetMeta(), nil
	}
	if v != nil && fresh {
		v.ahead.Store(true)
	}
	return store.GetMetaOf(ctx, l.Store, ref, newObject)
}

// GetMeta reads the Store, as Get does.
func (w listedWrites) GetMeta(ctx context.Context, ref meta.Ref, newObject func() meta.Object) (meta.ObjectMeta, error) {
	return store.GetMetaOf(ctx, w.Store, ref, newObject)
}

// GetMeta reads the Store, as Get does.
func (s *ownWritesStore) GetMeta(ctx context.Context, ref meta.Ref, newObject func() meta.Object) (meta.ObjectMeta, error) {
	return store.GetMetaOf(ctx, s.Store, ref, newObject)
}

// GetMeta reads the Store, as Get does.
func (s *writesThrough) GetMeta(ctx context.Context, ref meta.Ref, newObject func() meta.Object) (meta.ObjectMeta, error) {
	return store.GetMetaOf(ctx, s.Store, ref, newObject)
}
