package metrics

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

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

// Store operations, as the operation label names them (storeOpNames).
type storeOp uint8

const (
	opGet storeOp = iota
	opList
	opCreate
	opUpdate
	opDelete
	opWatch
	opAcquire
	opRenew
	opRelease
	opScan
	storeOpCount
)

var storeOpNames = [storeOpCount]string{"get", "list", "create", "update", "delete", "watch", "acquire", "renew", "release", "scan"}

// Store call results, as the result label names them (storeResultNames).
type storeRes uint8

const (
	resSuccess storeRes = iota
	resNotFound
	resConflict
	resAlreadyExists
	resLocked
	resLeaseLost
	resCanceled
	resError
	storeResCount
)

var storeResultNames = [storeResCount]string{"success", "not_found", "conflict", "already_exists", "locked", "lease_lost", "canceled", "error"}

// storeObservers holds the histogram of each (operation, result) once
// used: a Manager makes ~90 Store calls per certificate issued, and
// HistogramVec.WithLabelValues validated and hashed both labels and took
// the vector's lock on each (BenchmarkTimedStoreGet). A pair is resolved
// on its first use only, so the series exported are those of calls made,
// as before.
type storeObservers [storeOpCount][storeResCount]atomic.Pointer[storeObserver]

type storeObserver struct{ prometheus.Observer }

func (m *Metrics) storeObserver(op storeOp, res storeRes) prometheus.Observer {
	p := &m.storeObs[op][res]
	if o := p.Load(); o != nil {
		return o.Observer
	}
	o := &storeObserver{m.storeOps.WithLabelValues(storeOpNames[op], storeResultNames[res])}
	p.CompareAndSwap(nil, o) // a racing twin holds the same histogram
	return o.Observer
}

var (
	_ store.Store        = (*timedStore)(nil)
	_ store.ObjectLister = (*timedStore)(nil)
	_ store.Scanner      = (*timedStore)(nil)
	_ store.MetaReader   = (*timedStore)(nil)
	_ store.BatchCreator = (*timedStore)(nil)
)

// Unwrap returns the Store being timed, for callers looking for optional
// abilities of the implementation.
func (s *timedStore) Unwrap() store.Store { return s.inner }

func (s *timedStore) observe(op storeOp, start time.Duration, err error) {
	s.m.storeObserver(op, storeResultOf(err)).Observe((since() - start).Seconds())
}

// storeResult names the outcome of a Store call by the sentinel callers
// branch on; never by the error's text.
func storeResult(err error) string { return storeResultNames[storeResultOf(err)] }

func storeResultOf(err error) storeRes {
	switch {
	case err == nil:
		return resSuccess
	case errors.Is(err, store.ErrNotFound):
		return resNotFound
	case errors.Is(err, store.ErrConflict):
		return resConflict
	case errors.Is(err, store.ErrAlreadyExists):
		return resAlreadyExists
	case errors.Is(err, store.ErrLocked):
		return resLocked
	case errors.Is(err, store.ErrLeaseLost):
		return resLeaseLost
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return resCanceled
	}
	return resError
}

func (s *timedStore) Get(ctx context.Context, ref meta.Ref, into meta.Object) error {
	start := since() // a latency measured, not a decision
	err := s.inner.Get(ctx, ref, into)
	s.observe(opGet, start, err)
	return err
}

func (s *timedStore) List(ctx context.Context, opts store.ListOptions) (store.ListResult, error) {
	start := since() // a latency measured, not a decision
	res, err := s.inner.List(ctx, opts)
	s.observe(opList, start, err)
	return res, err
}

func (s *timedStore) Create(ctx context.Context, obj meta.Object) error {
	start := since() // a latency measured, not a decision
	err := s.inner.Create(ctx, obj)
	s.observe(opCreate, start, err)
	return err
}

// CreateBatch is timed as a Create of each object: one observation per
// object, with its result and an equal share of the call's time, so the
// count of creates and the time spent creating stay what they measure.
func (s *timedStore) CreateBatch(ctx context.Context, objs []meta.Object, errs []error) {
	if len(objs) == 0 {
		return
	}
	start := since() // a latency measured, not a decision
	store.CreateBatchOf(ctx, s.inner, objs, errs)
	share := (since() - start).Seconds() / float64(len(objs))
	for _, err := range errs[:len(objs)] {
		s.m.storeObserver(opCreate, storeResultOf(err)).Observe(share)
	}
}

func (s *timedStore) Update(ctx context.Context, obj meta.Object) error {
	start := since() // a latency measured, not a decision
	err := s.inner.Update(ctx, obj)
	s.observe(opUpdate, start, err)
	return err
}

func (s *timedStore) Delete(ctx context.Context, ref meta.Ref, resourceVersion string) error {
	start := since() // a latency measured, not a decision
	err := s.inner.Delete(ctx, ref, resourceVersion)
	s.observe(opDelete, start, err)
	return err
}

func (s *timedStore) Watch(ctx context.Context, fromRevision uint64) (<-chan store.WatchEvent, error) {
	start := since() // a latency measured, not a decision
	ch, err := s.inner.Watch(ctx, fromRevision)
	s.observe(opWatch, start, err)
	return ch, err
}

func (s *timedStore) Acquire(ctx context.Context, name, owner string, ttl time.Duration) (store.Lease, error) {
	start := since() // a latency measured, not a decision
	l, err := s.inner.Acquire(ctx, name, owner, ttl)
	s.observe(opAcquire, start, err)
	return l, err
}

func (s *timedStore) Renew(ctx context.Context, lease store.Lease) (store.Lease, error) {
	start := since() // a latency measured, not a decision
	l, err := s.inner.Renew(ctx, lease)
	s.observe(opRenew, start, err)
	return l, err
}

func (s *timedStore) Release(ctx context.Context, lease store.Lease) error {
	start := since() // a latency measured, not a decision
	err := s.inner.Release(ctx, lease)
	s.observe(opRelease, start, err)
	return err
}

// ListObjects is timed as List is.
func (s *timedStore) ListObjects(ctx context.Context, opts store.ListOptions, newObject func() meta.Object) ([]meta.Object, error) {
	start := since() // a latency measured, not a decision
	objs, err := store.ListObjectsOf(ctx, s.inner, opts, newObject)
	s.observe(opList, start, err)
	return objs, err
}

// Scan is timed under its own operation, scan, and for the Store's own
// time only: from its start to its end, less what fn (the caller's work on
// each object handed over) took. A resync's Scan reduces each of some
// 800,000 objects as it is handed over; timed whole, as a List, the
// consumer's work read as the Store's latency.
func (s *timedStore) Scan(ctx context.Context, opts store.ListOptions, fn func(store.Raw) error) (uint64, error) {
	var inFn time.Duration // fn is called one at a time (store.Scanner)
	start := since()       // a latency measured, not a decision
	rev, err := store.ScanOf(ctx, s.inner, opts, func(raw store.Raw) error {
		called := since()
		err := fn(raw)
		inFn += since() - called
		return err
	})
	s.m.storeObserver(opScan, storeResultOf(err)).Observe((since() - start - inFn).Seconds())
	return rev, err
}

// GetMeta is timed as Get is: it is a read of one object.
func (s *timedStore) GetMeta(ctx context.Context, ref meta.Ref, newObject func() meta.Object) (meta.ObjectMeta, error) {
	start := since() // a latency measured, not a decision
	m, err := store.GetMetaOf(ctx, s.inner, ref, newObject)
	s.observe(opGet, start, err)
	return m, err
}
