package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/internal/objects"
)

// Acquire takes the named lock for owner for ttl, renewing it if owner holds
// it already, or returns store.ErrLocked.
func (s *Store) Acquire(ctx context.Context, name, owner string, ttl time.Duration) (store.Lease, error) {
	if err := ctx.Err(); err != nil {
		return store.Lease{}, fmt.Errorf("memory: acquire: %w", err)
	}
	s.leaseMu.Lock()
	defer s.leaseMu.Unlock()
	l, err := objects.Acquire(s.current(name), name, owner, ttl, s.clock.Now())
	if err != nil {
		return store.Lease{}, fmt.Errorf("memory: acquire: %w", err)
	}
	s.leases[name] = l
	return l, nil
}

// Renew extends a held lease by its TTL or returns store.ErrLeaseLost.
func (s *Store) Renew(ctx context.Context, lease store.Lease) (store.Lease, error) {
	if err := ctx.Err(); err != nil {
		return store.Lease{}, fmt.Errorf("memory: renew: %w", err)
	}
	s.leaseMu.Lock()
	defer s.leaseMu.Unlock()
	l, err := objects.Renew(s.current(lease.Name), lease, s.clock.Now())
	if err != nil {
		return store.Lease{}, fmt.Errorf("memory: renew: %w", err)
	}
	s.leases[lease.Name] = l
	return l, nil
}

// Release frees a held lease or returns store.ErrLeaseLost.
func (s *Store) Release(ctx context.Context, lease store.Lease) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: release: %w", err)
	}
	s.leaseMu.Lock()
	defer s.leaseMu.Unlock()
	remove, err := objects.Release(s.current(lease.Name), lease, s.clock.Now())
	if remove {
		delete(s.leases, lease.Name)
	}
	if err != nil {
		return fmt.Errorf("memory: release: %w", err)
	}
	return nil
}

func (s *Store) current(name string) *store.Lease {
	if l, ok := s.leases[name]; ok {
		return &l
	}
	return nil
}
