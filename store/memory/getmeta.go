package memory

import (
	"context"
	"fmt"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/internal/objects"
)

var _ store.MetaReader = (*Store)(nil)

// GetMeta returns the metadata Get would decode, read from the entry
// alone: the object's content is neither copied nor decoded.
func (s *Store) GetMeta(ctx context.Context, ref meta.Ref, _ func() meta.Object) (meta.ObjectMeta, error) {
	if err := ctx.Err(); err != nil {
		return meta.ObjectMeta{}, fmt.Errorf("memory: get %s: %w", ref, err)
	}
	if err := objects.ValidateRef(ref); err != nil {
		return meta.ObjectMeta{}, fmt.Errorf("memory: get: %w", err)
	}
	s.mu.RLock()
	e := s.objects[ref.Kind].get(ref)
	s.mu.RUnlock()
	if e == nil {
		return meta.ObjectMeta{}, &notFound{op: "get", ref: ref}
	}
	// Entries are immutable: reading one needs no lock.
	return e.ownedMeta(e.ref()), nil
}
