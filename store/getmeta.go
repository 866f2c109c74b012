package store

import (
	"context"

	"github.com/certflow/certflow/meta"
)

// MetaReader is a Reader that can read one object's metadata without
// decoding the rest of it. A check that an object is still the version a
// decision was made on (a compare before a step), or that an owner still
// exists and whom it is owned by, needs only that: on the ACME path those
// checks were some fourteen of a certificate's forty-odd Gets, each
// decoding a whole Certificate, request, Order or Challenge to read its
// ResourceVersion and OwnerRefs.
//
// GetMeta returns the metadata Get would decode into an object made by
// newObject (which an implementation need not call), owned by the caller,
// or an error wrapping ErrNotFound. A wrapper of a Store implements it by
// calling GetMetaOf on what it wraps, with the same bookkeeping its Get
// does.
type MetaReader interface {
	GetMeta(ctx context.Context, ref meta.Ref, newObject func() meta.Object) (meta.ObjectMeta, error)
}

// GetMetaOf reads ref's metadata through r's GetMeta when r is a
// MetaReader, and else by a Get into an object made by newObject.
func GetMetaOf(ctx context.Context, r Reader, ref meta.Ref, newObject func() meta.Object) (meta.ObjectMeta, error) {
	if mr, ok := r.(MetaReader); ok {
		return mr.GetMeta(ctx, ref, newObject)
	}
	obj := newObject()
	if err := r.Get(ctx, ref, obj); err != nil {
		return meta.ObjectMeta{}, err
	}
	return *obj.GetMeta(), nil
}
