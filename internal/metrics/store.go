package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// Store wraps s so that every call is timed by operation and result.
// Everything else passes through unchanged.
func (m *Metrics) Store(s store.Store) store.Store { return &timedStore{inner: s, m: m} }

type timedStore struct {
	inner store.Store
	m     *Metrics
}

var (
	_ store.Store        = (*timedStore)(nil)
	_ store.ObjectLister = (*timedStore)(nil)
)

// Unwrap returns the Store being timed, for callers looking for optional
// abilities of the implementation.
func (s *timedStore) Unwrap() store.Store { return s.inner }

func (s *timedStore) observe(op string, start time.Time, err error) {
	s.m.storeOps.WithLabelValues(op, storeResult(err)).Observe(time.Since(start).Seconds())
}

// storeResult names the outcome of a Store call by the sentinel callers
// branch on; never by the error's text.
func storeResult(err error) string {
	switch {
	case err == nil:
		return "success"
	case errors.Is(err, store.ErrNotFound):
		return "not_found"
	case errors.Is(err, store.ErrConflict):
		return "conflict"
	case errors.Is(err, store.ErrAlreadyExists):
		return "already_exists"
	case errors.Is(err, store.ErrLocked):
		return "locked"
	case errors.Is(err, store.ErrLeaseLost):
		return "lease_lost"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "canceled"
	}
	return "error"
}

func (s *timedStore) Get(ctx context.Context, ref meta.Ref, into meta.Object) error {
	start := time.Now() // wall time: a latency measured, not a decision
	err := s.inner.Get(ctx, ref, into)
	s.observe("get", start, err)
	return err
}

func (s *timedStore) List(ctx context.Context, opts store.ListOptions) (store.ListResult, error) {
	start := time.Now() // wall time: a latency measured, not a decision
	res, err := s.inner.List(ctx, opts)
	s.observe("list", start, err)
	return res, err
}

func (s *timedStore) Create(ctx context.Context, obj meta.Object) error {
	start := time.Now() // wall time: a latency measured, not a decision
	err := s.inner.Create(ctx, obj)
	s.observe("create", start, err)
	return err
}

func (s *timedStore) Update(ctx context.Context, obj meta.Object) error {
	start := time.Now() // wall time: a latency measured, not a decision
	err := s.inner.Update(ctx, obj)
	s.observe("update", start, err)
	return err
}

func (s *timedStore) Delete(ctx context.Context, ref meta.Ref, resourceVersion string) error {
	start := time.Now() // wall time: a latency measured, not a decision
	err := s.inner.Delete(ctx, ref, resourceVersion)
	s.observe("delete", start, err)
	return err
}

func (s *timedStore) Watch(ctx context.Context, fromRevision uint64) (<-chan store.WatchEvent, error) {
	start := time.Now() // wall time: a latency measured, not a decision
	ch, err := s.inner.Watch(ctx, fromRevision)
	s.observe("watch", start, err)
	return ch, err
}

func (s *timedStore) Acquire(ctx context.Context, name, owner string, ttl time.Duration) (store.Lease, error) {
	start := time.Now() // wall time: a latency measured, not a decision
	l, err := s.inner.Acquire(ctx, name, owner, ttl)
	s.observe("acquire", start, err)
	return l, err
}

func (s *timedStore) Renew(ctx context.Context, lease store.Lease) (store.Lease, error) {
	start := time.Now() // wall time: a latency measured, not a decision
	l, err := s.inner.Renew(ctx, lease)
	s.observe("renew", start, err)
	return l, err
}

func (s *timedStore) Release(ctx context.Context, lease store.Lease) error {
	start := time.Now() // wall time: a latency measured, not a decision
	err := s.inner.Release(ctx, lease)
	s.observe("release", start, err)
	return err
}

// ListObjects is timed as List is.
func (s *timedStore) ListObjects(ctx context.Context, opts store.ListOptions, newObject func() meta.Object) ([]meta.Object, error) {
	start := time.Now() // wall time: a latency measured, not a decision
	objs, err := store.ListObjectsOf(ctx, s.inner, opts, newObject)
	s.observe("list", start, err)
	return objs, err
}
