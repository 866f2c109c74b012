package etcd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/internal/objects"
)

// casAttempts bounds how often a lock operation reads again after its
// compare-and-swap lost a race.
const casAttempts = 5

// lockRecord is a lock's value.
type lockRecord struct {
	Owner   string        `json:"owner"`
	TTL     time.Duration `json:"ttl"`
	Expires time.Time     `json:"expires"`
}

func encodeLock(l store.Lease) string {
	b, _ := json.Marshal(lockRecord{Owner: l.Owner, TTL: l.TTL, Expires: l.Expires}) // cannot fail
	return string(b)
}

func decodeLock(name string, kv *mvccpb.KeyValue) (store.Lease, error) {
	var r lockRecord
	if err := json.Unmarshal(kv.Value, &r); err != nil || r.Owner == "" {
		return store.Lease{}, fmt.Errorf("%w: lock %s (etcd key %s): not a lock record", store.ErrCorrupt, name, kv.Key)
	}
	return store.Lease{Name: name, Owner: r.Owner, TTL: r.TTL, Expires: r.Expires}, nil
}

// Acquire takes the lock for owner for ttl, renewing it if owner holds it,
// or returns store.ErrLocked while another owner's lease is unexpired. The
// lock's key is bound to the store's session lease: besides expiring at
// its Expires, it is gone within about SessionTTL after this process dies.
func (s *Store) Acquire(ctx context.Context, name, owner string, ttl time.Duration) (store.Lease, error) {
	if err := s.check(ctx); err != nil {
		return store.Lease{}, fmt.Errorf("etcd: acquire: %w", err)
	}
	if _, err := objects.Acquire(nil, name, owner, ttl, time.Time{}); err != nil {
		return store.Lease{}, fmt.Errorf("etcd: acquire: %w", err)
	}
	ctx, cancel := s.opContext(ctx)
	defer cancel()
	key := s.keys.lock(name)
	var cur *mvccpb.KeyValue // as last read; nil while absent
	for range casAttempts {
		sess, err := s.sessions.get(ctx, s)
		if err != nil {
			return store.Lease{}, fmt.Errorf("etcd: acquire %s: %w", name, err)
		}
		var held *store.Lease
		cond := clientv3.Compare(clientv3.CreateRevision(key), "=", 0)
		if cur != nil {
			l, err := decodeLock(name, cur)
			if err != nil {
				return store.Lease{}, fmt.Errorf("etcd: acquire: %w", err)
			}
			held = &l
			cond = clientv3.Compare(clientv3.ModRevision(key), "=", cur.ModRevision)
		}
		l, err := objects.Acquire(held, name, owner, ttl, s.clock.Now())
		if err != nil {
			return store.Lease{}, fmt.Errorf("etcd: acquire: %w", err)
		}
		resp, err := s.client.Txn(ctx).If(cond).
			Then(clientv3.OpPut(key, encodeLock(l), clientv3.WithLease(sess.id))).
			Else(clientv3.OpGet(key)).
			Commit()
		if errors.Is(err, rpctypes.ErrLeaseNotFound) {
			// etcd expired the session before the store noticed.
			sess.stop()
			continue
		}
		if err != nil {
			return store.Lease{}, s.fail("acquire "+name, err)
		}
		if resp.Succeeded {
			s.held.bind(l, sess)
			return l, nil
		}
		cur = nil
		if kvs := resp.Responses[0].GetResponseRange().Kvs; len(kvs) > 0 {
			cur = kvs[0]
		}
	}
	return store.Lease{}, fmt.Errorf("etcd: acquire %s: %w: it changed under every attempt", name, store.ErrLocked)
}

// Renew extends a held lease by its TTL, or returns store.ErrLeaseLost:
// when another owner holds the lock, when it expired, and when the session
// it was bound to is lost (etcd deletes it, or soon will).
func (s *Store) Renew(ctx context.Context, lease store.Lease) (store.Lease, error) {
	if err := s.check(ctx); err != nil {
		return store.Lease{}, fmt.Errorf("etcd: renew: %w", err)
	}
	ctx, cancel := s.opContext(ctx)
	defer cancel()
	key := s.keys.lock(lease.Name)
	for range casAttempts {
		kv, cur, sess, err := s.readHeld(ctx, "renew", lease)
		if kv == nil {
			return store.Lease{}, err
		}
		if err != nil {
			return store.Lease{}, fmt.Errorf("etcd: renew: %w", err)
		}
		l, err := objects.Renew(&cur, lease, s.clock.Now())
		if err != nil {
			return store.Lease{}, fmt.Errorf("etcd: renew: %w", err)
		}
		resp, err := s.client.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(key), "=", kv.ModRevision)).
			Then(clientv3.OpPut(key, encodeLock(l), clientv3.WithLease(sess.id))).
			Commit()
		if errors.Is(err, rpctypes.ErrLeaseNotFound) {
			sess.stop()
			return store.Lease{}, fmt.Errorf("etcd: renew: %w: lock %s: the session lease expired", store.ErrLeaseLost, lease.Name)
		}
		if err != nil {
			return store.Lease{}, s.fail("renew "+lease.Name, err)
		}
		if resp.Succeeded {
			s.held.bind(l, sess)
			return l, nil
		}
	}
	return store.Lease{}, fmt.Errorf("etcd: renew: %w: lock %s changed under every attempt", store.ErrLeaseLost, lease.Name)
}

// Release frees a held lease, or returns store.ErrLeaseLost if it is not
// held (an expired lease of the same owner, or one bound to a lost session,
// is deleted all the same).
func (s *Store) Release(ctx context.Context, lease store.Lease) error {
	defer s.held.unbind(lease) // held or not, nothing to watch any more
	if err := s.check(ctx); err != nil {
		return fmt.Errorf("etcd: release: %w", err)
	}
	ctx, cancel := s.opContext(ctx)
	defer cancel()
	key := s.keys.lock(lease.Name)
	kv, cur, _, held := s.readHeld(ctx, "release", lease)
	if kv == nil {
		return held
	}
	remove, err := objects.Release(&cur, lease, s.clock.Now())
	if err == nil {
		err = held
	}
	if !remove {
		return fmt.Errorf("etcd: release: %w", err)
	}
	resp, terr := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(key), "=", kv.ModRevision)).
		Then(clientv3.OpDelete(key)).
		Commit()
	switch {
	case terr != nil:
		return s.fail("release "+lease.Name, terr)
	case !resp.Succeeded && err == nil:
		err = fmt.Errorf("%w: lock %s changed before it was released", store.ErrLeaseLost, lease.Name)
	}
	if err != nil {
		return fmt.Errorf("etcd: release: %w", err)
	}
	return nil
}

// readHeld reads the lock lease names. kv is nil when it could not be read
// or does not exist (err says why). Otherwise err is non-nil when the lock
// is bound to another session than this store's live one: a lock of this
// owner from a lost session is lost, whatever its Expires says.
func (s *Store) readHeld(ctx context.Context, op string, lease store.Lease) (*mvccpb.KeyValue, store.Lease, *session, error) {
	resp, err := s.client.Get(ctx, s.keys.lock(lease.Name))
	if err != nil {
		return nil, store.Lease{}, nil, s.fail(op+" "+lease.Name, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, store.Lease{}, nil, fmt.Errorf("etcd: %s: %w: lock %s is not held", op, store.ErrLeaseLost, lease.Name)
	}
	kv := resp.Kvs[0]
	cur, err := decodeLock(lease.Name, kv)
	if err != nil {
		return nil, store.Lease{}, nil, fmt.Errorf("etcd: %s: %w", op, err)
	}
	sess := s.sessions.current()
	if cur.Owner == lease.Owner && (sess == nil || clientv3.LeaseID(kv.Lease) != sess.id) {
		return kv, cur, sess, fmt.Errorf("%w: lock %s: its session lease is lost", store.ErrLeaseLost, lease.Name)
	}
	return kv, cur, sess, nil
}
