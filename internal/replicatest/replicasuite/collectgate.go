package replicasuite

import (
	"context"
	"sync"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// collectGate is the Store as replica A sees it: deleting a request (the
// collection of a deleted Certificate's children) waits until open is
// closed.
type collectGate struct {
	store.Store
	reached chan struct{} // closed when the first request is to be deleted
	once    sync.Once
	open    chan struct{}
}

func (s *collectGate) Delete(ctx context.Context, ref meta.Ref, rv string) error {
	if ref.Kind == meta.KindCertificateRequest {
		s.once.Do(func() { close(s.reached) })
		select {
		case <-s.open:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return s.Store.Delete(ctx, ref, rv)
}
