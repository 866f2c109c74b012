package file

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/internal/objects"
)

// leaseFile is the content of leases/<name>.json.
type leaseFile struct {
	Owner   string        `json:"owner"`
	TTL     time.Duration `json:"ttl"`
	Expires time.Time     `json:"expires"`
}

// Acquire takes the named lock for owner for ttl, renewing it if owner holds
// it already, or returns store.ErrLocked. The lease file is read and
// rewritten under the exclusive flock, so processes agree on the holder.
func (s *Store) Acquire(ctx context.Context, name, owner string, ttl time.Duration) (store.Lease, error) {
	if err := ctx.Err(); err != nil {
		return store.Lease{}, fmt.Errorf("file: acquire: %w", err)
	}
	if err := objects.ValidateName("lock name", name); err != nil {
		return store.Lease{}, fmt.Errorf("file: acquire: %w", err)
	}
	var out store.Lease
	err := s.exclusive(func() error {
		cur, err := s.readLease(name)
		if err != nil {
			return err
		}
		l, err := objects.Acquire(cur, name, owner, ttl, s.clock.Now())
		if err != nil {
			return err
		}
		out = l
		return s.writeLease(l)
	})
	if err != nil {
		return store.Lease{}, fmt.Errorf("file: acquire: %w", err)
	}
	return out, nil
}

// Renew extends a held lease by its TTL or returns store.ErrLeaseLost.
func (s *Store) Renew(ctx context.Context, lease store.Lease) (store.Lease, error) {
	if err := ctx.Err(); err != nil {
		return store.Lease{}, fmt.Errorf("file: renew: %w", err)
	}
	if err := objects.ValidateName("lock name", lease.Name); err != nil {
		return store.Lease{}, fmt.Errorf("file: renew: %w", err)
	}
	var out store.Lease
	err := s.exclusive(func() error {
		cur, err := s.readLease(lease.Name)
		if err != nil {
			return err
		}
		l, err := objects.Renew(cur, lease, s.clock.Now())
		if err != nil {
			return err
		}
		out = l
		return s.writeLease(l)
	})
	if err != nil {
		return store.Lease{}, fmt.Errorf("file: renew: %w", err)
	}
	return out, nil
}

// Release frees a held lease or returns store.ErrLeaseLost.
func (s *Store) Release(ctx context.Context, lease store.Lease) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("file: release: %w", err)
	}
	if err := objects.ValidateName("lock name", lease.Name); err != nil {
		return fmt.Errorf("file: release: %w", err)
	}
	err := s.exclusive(func() error {
		cur, err := s.readLease(lease.Name)
		if err != nil {
			return err
		}
		remove, relErr := objects.Release(cur, lease, s.clock.Now())
		if remove {
			if err := s.removeLease(lease.Name); err != nil {
				return err
			}
		}
		return relErr
	})
	if err != nil {
		return fmt.Errorf("file: release: %w", err)
	}
	return nil
}

func leaseFileName(name string) string { return name + ".json" }

// readLease returns the stored lease, or nil if there is none.
func (s *Store) readLease(name string) (*store.Lease, error) {
	d, err := s.tree.open(leasesDir, true)
	if err != nil {
		return nil, err
	}
	defer d.close()
	return readLeaseIn(d, leaseFileName(name), name)
}

func readLeaseIn(d *folder, file, name string) (*store.Lease, error) {
	data, err := d.readFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var lf leaseFile
	if err := json.Unmarshal(data, &lf); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", store.ErrCorrupt, d.path(file), err)
	}
	return &store.Lease{Name: name, Owner: lf.Owner, TTL: lf.TTL, Expires: lf.Expires}, nil
}

func (s *Store) writeLease(l store.Lease) error {
	data, err := json.Marshal(leaseFile{Owner: l.Owner, TTL: l.TTL, Expires: l.Expires})
	if err != nil {
		return err
	}
	d, err := s.tree.open(leasesDir, true)
	if err != nil {
		return err
	}
	defer d.close()
	return d.writeAtomic(leaseFileName(l.Name), data)
}

func (s *Store) removeLease(name string) error {
	d, err := s.tree.open(leasesDir, true)
	if err != nil {
		return err
	}
	defer d.close()
	return d.remove(leaseFileName(name))
}
