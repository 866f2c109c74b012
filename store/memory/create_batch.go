package memory

import (
	"context"
	"fmt"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/internal/objects"
)

var _ store.BatchCreator = (*Store)(nil)

// batchTurn is how many objects CreateBatch creates per turn of the lock:
// one turn for a burst of Events, but not so long a hold that the
// reconcilers' reads, which wait for it, stall behind a thousand creates.
const batchTurn = 64

// CreateBatch creates each of objs as Create does, up to batchTurn of them
// per turn of the store's lock; errs[i] is objs[i]'s result.
func (s *Store) CreateBatch(ctx context.Context, objs []meta.Object, errs []error) {
	store.InTurns(objs, errs, batchTurn, func(objs []meta.Object, errs []error) {
		s.createTurn(ctx, objs, errs)
	})
}

// createTurn creates objs (at most batchTurn) in one turn of the lock,
// each kept ahead of it as Create does.
func (s *Store) createTurn(ctx context.Context, objs []meta.Object, errs []error) {
	var (
		ks   [batchTurn]kept
		refs [batchTurn]meta.Ref
	)
	defer func() {
		for i := range objs {
			ks[i].ahead.release()
		}
	}()
	for i, obj := range objs {
		if err := ctx.Err(); err != nil {
			errs[i] = fmt.Errorf("memory: create: %w", err)
			continue
		}
		refs[i] = meta.RefOf(obj)
		if err := objects.ValidateRef(refs[i]); err != nil {
			errs[i] = fmt.Errorf("memory: create: %w", err)
			continue
		}
		k, err := keepAhead(refs[i], obj, nil, s.repeats)
		if err != nil {
			errs[i] = fmt.Errorf("memory: create: %w", err)
			continue
		}
		ks[i], errs[i] = k, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, obj := range objs {
		if errs[i] == nil {
			errs[i] = s.createLocked(refs[i], obj, ks[i])
		}
	}
}
