package memory

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/certflow/certflow/store"
)

var _ store.Scanner = (*Store)(nil)

// Scan hands over what List returns one object at a time: the entries
// are taken at one revision under the lock, as List takes them, and each
// is encoded only when its turn comes, so no more than one encoding is
// held for the caller at once.
func (s *Store) Scan(ctx context.Context, opts store.ListOptions, fn func(store.Raw) error) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("memory: list: %w", err)
	}
	found, rev := s.matching(opts)
	// Entries are immutable: encoding them needs no lock.
	var errs []error
	for i, e := range found {
		found[i] = nil // handed over: not kept past its turn
		data, err := e.encoded()
		if err != nil {
			errs = append(errs, &store.CorruptError{Ref: e.ref(), Err: err})
			continue
		}
		if e.isJSON() {
			data = slices.Clone(data)
		}
		if err := fn(store.Raw{Ref: e.ref(), ResourceVersion: e.resourceVersion(), Data: data}); err != nil {
			return 0, err
		}
	}
	return rev, errors.Join(errs...)
}
