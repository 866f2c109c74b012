package objects

import (
	"fmt"
	"time"

	"github.com/certflow/certflow/store"
)

// Acquire decides an Acquire against the current lease cur (nil if none):
// another owner's unexpired lease is store.ErrLocked; otherwise the returned
// lease (new, taken over after expiry, or renewed) is to be stored.
func Acquire(cur *store.Lease, name, owner string, ttl time.Duration, now time.Time) (store.Lease, error) {
	if err := ValidateName("lock name", name); err != nil {
		return store.Lease{}, err
	}
	if owner == "" {
		return store.Lease{}, fmt.Errorf("%w: lock %s: owner is empty", store.ErrInvalid, name)
	}
	if ttl <= 0 {
		return store.Lease{}, fmt.Errorf("%w: lock %s: ttl %v is not positive", store.ErrInvalid, name, ttl)
	}
	if cur != nil && cur.Owner != owner && now.Before(cur.Expires) {
		return store.Lease{}, fmt.Errorf("%w: lock %s", store.ErrLocked, name)
	}
	return store.Lease{Name: name, Owner: owner, TTL: ttl, Expires: now.Add(ttl).Round(0).UTC()}, nil
}

// Renew decides a Renew: the lease must still be held by its owner and
// unexpired, else store.ErrLeaseLost. A zero lease.TTL keeps the stored TTL.
func Renew(cur *store.Lease, lease store.Lease, now time.Time) (store.Lease, error) {
	if err := held(cur, lease, now); err != nil {
		return store.Lease{}, err
	}
	ttl := lease.TTL
	if ttl <= 0 {
		ttl = cur.TTL
	}
	return store.Lease{Name: cur.Name, Owner: cur.Owner, TTL: ttl, Expires: now.Add(ttl).Round(0).UTC()}, nil
}

// Release decides a Release. remove says whether the stored lease must be
// deleted: yes when held, and also when it is the caller's own expired lease
// (which is store.ErrLeaseLost but garbage nobody else needs).
func Release(cur *store.Lease, lease store.Lease, now time.Time) (remove bool, err error) {
	if cur == nil || cur.Owner != lease.Owner {
		return false, fmt.Errorf("%w: lock %s: not held by %q", store.ErrLeaseLost, lease.Name, lease.Owner)
	}
	if err := held(cur, lease, now); err != nil {
		return true, err
	}
	return true, nil
}

func held(cur *store.Lease, lease store.Lease, now time.Time) error {
	if cur == nil || cur.Owner != lease.Owner {
		return fmt.Errorf("%w: lock %s: not held by %q", store.ErrLeaseLost, lease.Name, lease.Owner)
	}
	if !now.Before(cur.Expires) {
		return fmt.Errorf("%w: lock %s: expired at %s", store.ErrLeaseLost, lease.Name, cur.Expires.Format(time.RFC3339Nano))
	}
	return nil
}
