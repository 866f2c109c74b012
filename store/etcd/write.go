package etcd

import (
	"context"
	"fmt"
	"strconv"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/internal/objects"
)

// Create stores a new object (a transaction that puts the key only if it
// has never been created) and sets obj's UID, ResourceVersion, CreationTime
// and (if zero) Generation. On error obj is left unchanged.
func (s *Store) Create(ctx context.Context, obj meta.Object) error {
	if err := s.check(ctx); err != nil {
		return fmt.Errorf("etcd: create: %w", err)
	}
	ref := meta.RefOf(obj)
	if err := objects.ValidateRef(ref); err != nil {
		return fmt.Errorf("etcd: create: %w", err)
	}
	m := obj.GetMeta()
	saved := objects.Save(m)
	if err := objects.PrepareCreate(m, 0, s.clock.Now()); err != nil {
		saved.Restore(m)
		return fmt.Errorf("etcd: create %s: %w", ref, err)
	}
	key := s.keys.object(ref)
	val, err := encodeValue(ref, obj, s.placeholder)
	if err != nil {
		saved.Restore(m)
		return fmt.Errorf("etcd: create: %w", err)
	}
	ctx, cancel := s.opContext(ctx)
	defer cancel()
	resp, err := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, string(val))).
		Commit()
	if err != nil {
		saved.Restore(m)
		return s.fail("create "+ref.String(), err)
	}
	if !resp.Succeeded {
		saved.Restore(m)
		return fmt.Errorf("etcd: create %s: %w", ref, store.ErrAlreadyExists)
	}
	m.ResourceVersion = objects.FormatRevision(uint64(resp.Header.Revision))
	s.versions.remember(key, resp.Header.Revision, m)
	return nil
}

// Update replaces the object if obj's ResourceVersion is the key's mod
// revision (and obj's UID, if set, the stored one), else returns
// store.ErrConflict. It keeps the stored UID and CreationTime and sets obj's
// new ResourceVersion. On error obj is unchanged.
func (s *Store) Update(ctx context.Context, obj meta.Object) error {
	if err := s.check(ctx); err != nil {
		return fmt.Errorf("etcd: update: %w", err)
	}
	ref := meta.RefOf(obj)
	if err := objects.ValidateRef(ref); err != nil {
		return fmt.Errorf("etcd: update: %w", err)
	}
	ctx, cancel := s.opContext(ctx)
	defer cancel()
	key := s.keys.object(ref)
	m := obj.GetMeta()

	stored, rev, ok := s.knownVersion(key, m.ResourceVersion)
	if !ok {
		var err error
		if stored, rev, err = s.readIdentity(ctx, ref, key); err != nil {
			return err
		}
	}
	saved := objects.Save(m)
	if err := objects.PrepareUpdate(ref, m, &stored, 0); err != nil {
		saved.Restore(m)
		return fmt.Errorf("etcd: update: %w", err)
	}
	val, err := encodeValue(ref, obj, s.placeholder)
	if err != nil {
		saved.Restore(m)
		return fmt.Errorf("etcd: update: %w", err)
	}
	resp, err := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(key), "=", rev)).
		Then(clientv3.OpPut(key, string(val))).
		Else(clientv3.OpGet(key, clientv3.WithCountOnly())).
		Commit()
	if err != nil {
		saved.Restore(m)
		return s.fail("update "+ref.String(), err)
	}
	if !resp.Succeeded {
		saved.Restore(m)
		if resp.Responses[0].GetResponseRange().Count == 0 {
			return fmt.Errorf("etcd: update %s: %w", ref, store.ErrNotFound)
		}
		return fmt.Errorf("etcd: update %s: resourceVersion %s: %w", ref, stored.ResourceVersion, store.ErrConflict)
	}
	m.ResourceVersion = objects.FormatRevision(uint64(resp.Header.Revision))
	s.versions.remember(key, resp.Header.Revision, m)
	return nil
}

// knownVersion returns the stored identity of key at the revision rv names,
// when the version cache remembers it.
func (s *Store) knownVersion(key, rv string) (meta.ObjectMeta, int64, bool) {
	rev, err := strconv.ParseInt(rv, 10, 64)
	if err != nil || rev <= 0 {
		return meta.ObjectMeta{}, 0, false
	}
	m, ok := s.versions.lookup(key, rev)
	m.ResourceVersion = rv
	return m, rev, ok
}

// readIdentity reads the stored metadata of key and its mod revision.
func (s *Store) readIdentity(ctx context.Context, ref meta.Ref, key string) (meta.ObjectMeta, int64, error) {
	resp, err := s.client.Get(ctx, key)
	if err != nil {
		return meta.ObjectMeta{}, 0, s.fail("update "+ref.String(), err)
	}
	if len(resp.Kvs) == 0 {
		return meta.ObjectMeta{}, 0, fmt.Errorf("etcd: update %s: %w", ref, store.ErrNotFound)
	}
	kv := resp.Kvs[0]
	v, err := parseValue(kv.Value)
	if err != nil {
		return meta.ObjectMeta{}, 0, fmt.Errorf("etcd: update: %w", corruptValue(ref, kv.Key, err))
	}
	m, err := v.metaOf(ref, kv.ModRevision)
	if err != nil {
		return meta.ObjectMeta{}, 0, fmt.Errorf("etcd: update: %w", corruptValue(ref, kv.Key, err))
	}
	return m, kv.ModRevision, nil
}

// Delete removes the object; a non-empty resourceVersion must be the key's
// mod revision (else store.ErrConflict).
func (s *Store) Delete(ctx context.Context, ref meta.Ref, resourceVersion string) error {
	if err := s.check(ctx); err != nil {
		return fmt.Errorf("etcd: delete: %w", err)
	}
	if err := objects.ValidateRef(ref); err != nil {
		return fmt.Errorf("etcd: delete: %w", err)
	}
	ctx, cancel := s.opContext(ctx)
	defer cancel()
	key := s.keys.object(ref)
	if resourceVersion == "" {
		resp, err := s.client.Delete(ctx, key)
		if err != nil {
			return s.fail("delete "+ref.String(), err)
		}
		if resp.Deleted == 0 {
			return fmt.Errorf("etcd: delete %s: %w", ref, store.ErrNotFound)
		}
		s.versions.forget(key)
		return nil
	}
	rev, err := strconv.ParseInt(resourceVersion, 10, 64)
	if err != nil || rev <= 0 {
		rev = -1 // matches no key, which then tells conflict from absence
	}
	resp, err := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(key), "=", rev)).
		Then(clientv3.OpDelete(key)).
		Else(clientv3.OpGet(key, clientv3.WithCountOnly())).
		Commit()
	if err != nil {
		return s.fail("delete "+ref.String(), err)
	}
	if !resp.Succeeded {
		if resp.Responses[0].GetResponseRange().Count == 0 {
			return fmt.Errorf("etcd: delete %s: %w", ref, store.ErrNotFound)
		}
		return fmt.Errorf("etcd: delete %s: resourceVersion %q: %w", ref, resourceVersion, store.ErrConflict)
	}
	s.versions.forget(key)
	return nil
}
