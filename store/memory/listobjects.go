package memory

import (
	"context"
	"fmt"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

var _ store.ObjectLister = (*Store)(nil)

// ListObjects returns what List returns, each object decoded as Get
// decodes it: from the entry, without encoding it to JSON for the caller
// to parse again.
func (s *Store) ListObjects(ctx context.Context, opts store.ListOptions, newObject func() meta.Object) ([]meta.Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: list: %w", err)
	}
	found, _ := s.matching(opts)
	// Entries are immutable: decoding them needs no lock.
	out := make([]meta.Object, 0, len(found))
	for _, e := range found {
		obj := newObject()
		if err := e.decodeInto(obj); err != nil {
			return nil, &store.CorruptError{Ref: e.ref(), Err: err}
		}
		out = append(out, obj)
	}
	return out, nil
}
