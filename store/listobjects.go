package store

import (
	"context"

	"github.com/certflow/certflow/meta"
)

// ObjectLister is a Reader that can list decoded objects without a JSON
// round trip: the memory store keeps objects decoded, and List encoding
// each one only for ListOf to decode it again cost an issuance a List per
// Order visit's worth of encoding and parsing.
//
// ListObjects returns what List would, decoded: the objects matching opts,
// sorted as List sorts them, each made by newObject and owned by the
// caller. An object that cannot be decoded fails the call (a
// *CorruptError), as it fails ListOf. A wrapper of a Store implements it
// by calling ListObjectsOf on what it wraps, with the same bookkeeping its
// List does.
type ObjectLister interface {
	ListObjects(ctx context.Context, opts ListOptions, newObject func() meta.Object) ([]meta.Object, error)
}

// ListObjectsOf lists through r's ListObjects when r is an ObjectLister,
// and else through List, decoding each item into an object made by
// newObject.
func ListObjectsOf(ctx context.Context, r Reader, opts ListOptions, newObject func() meta.Object) ([]meta.Object, error) {
	if ol, ok := r.(ObjectLister); ok {
		return ol.ListObjects(ctx, opts, newObject)
	}
	res, err := r.List(ctx, opts)
	if err != nil {
		return nil, err
	}
	out := make([]meta.Object, 0, len(res.Items))
	for _, raw := range res.Items {
		obj := newObject()
		if err := raw.Decode(obj); err != nil {
			return nil, err
		}
		out = append(out, obj)
	}
	return out, nil
}
