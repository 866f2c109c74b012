package storecount

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// Op names a Store operation.
type Op int

// The operations counted. FullList is a List with zero ListOptions (every
// object: a Manager's start-up or re-list) and is counted apart from List.
const (
	Get Op = iota
	List
	FullList
	Create
	Update
	Delete
	Watch
	Acquire
	Renew
	Release
	// GetMeta is a read of one object's metadata alone (store.MetaReader).
	GetMeta
	numOps
)

var opNames = [numOps]string{"get", "list", "full-list", "create", "update", "delete", "watch", "acquire", "renew", "release", "get-meta"}

func (o Op) String() string {
	if o < 0 || o >= numOps {
		return "unknown"
	}
	return opNames[o]
}

// Ops lists every operation, in the order Counts prints them.
func Ops() []Op {
	out := make([]Op, numOps)
	for i := range out {
		out[i] = Op(i)
	}
	return out
}

// Store counts every call made through it and passes it to the wrapped
// Store unchanged. It is safe for concurrent use.
type Store struct {
	inner  store.Store
	counts [numOps]atomic.Int64
	// last is when the latest call was made, in nanoseconds after base
	// plus one (0: none yet), so a program can tell when the callers went
	// quiet.
	last atomic.Int64
	// onCall, if set, is told of each call (with the object, when the call
	// names one) before it is passed on.
	onCall func(Op, meta.Ref)
}

var (
	_ store.Store        = (*Store)(nil)
	_ store.ObjectLister = (*Store)(nil)
	_ store.Scanner      = (*Store)(nil)
	_ store.MetaReader   = (*Store)(nil)
	_ store.BatchCreator = (*Store)(nil)
)

// Option configures New.
type Option func(*Store)

// WithObserver has fn told of every call before it is passed on: the
// operation and the object it names (zero for List, Watch and the lock
// calls). fn must be safe for concurrent use and quick.
func WithObserver(fn func(Op, meta.Ref)) Option { return func(s *Store) { s.onCall = fn } }

// New wraps inner.
func New(inner store.Store, opts ...Option) *Store {
	s := &Store{inner: inner}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Unwrap returns the wrapped Store, for callers looking for optional
// abilities of the implementation.
func (s *Store) Unwrap() store.Store { return s.inner }

// Counts returns how many calls of each operation were made so far.
func (s *Store) Counts() Counts {
	var c Counts
	for i := range c.n {
		c.n[i] = s.counts[i].Load()
	}
	return c
}

// LastCall returns when the latest call was made (zero before any), to
// within lastGrain.
func (s *Store) LastCall() time.Time {
	n := s.last.Load()
	if n == 0 {
		return time.Time{}
	}
	return base.Add(time.Duration(n - 1))
}

// base anchors last on the monotonic clock: one reading per call, not the
// wall clock's as well.
var base = time.Now()

// lastGrain is how far behind the latest call LastCall may be: last is
// written only when it moved by more, as every caller on every core wrote
// the one word at every call (some 100 a certificate issued, charged to
// the Manager a benchmark measures).
const lastGrain = time.Millisecond

func (s *Store) count(op Op, ref meta.Ref) {
	s.counts[op].Add(1)
	if now, l := int64(time.Since(base))+1, s.last.Load(); l == 0 || now-l > int64(lastGrain) {
		s.last.Store(now)
	}
	if s.onCall != nil {
		s.onCall(op, ref)
	}
}

// Get counts and passes on.
func (s *Store) Get(ctx context.Context, ref meta.Ref, into meta.Object) error {
	s.count(Get, ref)
	return s.inner.Get(ctx, ref, into)
}

// listOp is FullList when opts selects everything, else List.
func listOp(opts store.ListOptions) Op {
	if opts.Kind == "" && opts.Namespace == "" && len(opts.Labels) == 0 && opts.Owner == nil {
		return FullList
	}
	return List
}

// List counts (as FullList when opts selects everything) and passes on.
func (s *Store) List(ctx context.Context, opts store.ListOptions) (store.ListResult, error) {
	s.count(listOp(opts), meta.Ref{})
	return s.inner.List(ctx, opts)
}

// Create counts and passes on.
func (s *Store) Create(ctx context.Context, obj meta.Object) error {
	s.count(Create, meta.RefOf(obj))
	return s.inner.Create(ctx, obj)
}

// CreateBatch counts a Create of each object and passes on (to
// CreateBatch when the wrapped Store has it): the count is of objects
// written, whichever way they were.
func (s *Store) CreateBatch(ctx context.Context, objs []meta.Object, errs []error) {
	for _, obj := range objs {
		s.count(Create, meta.RefOf(obj))
	}
	store.CreateBatchOf(ctx, s.inner, objs, errs)
}

// Update counts and passes on.
func (s *Store) Update(ctx context.Context, obj meta.Object) error {
	s.count(Update, meta.RefOf(obj))
	return s.inner.Update(ctx, obj)
}

// Delete counts and passes on.
func (s *Store) Delete(ctx context.Context, ref meta.Ref, resourceVersion string) error {
	s.count(Delete, ref)
	return s.inner.Delete(ctx, ref, resourceVersion)
}

// Watch counts and passes on.
func (s *Store) Watch(ctx context.Context, fromRevision uint64) (<-chan store.WatchEvent, error) {
	s.count(Watch, meta.Ref{})
	return s.inner.Watch(ctx, fromRevision)
}

// Acquire counts and passes on.
func (s *Store) Acquire(ctx context.Context, name, owner string, ttl time.Duration) (store.Lease, error) {
	s.count(Acquire, meta.Ref{})
	return s.inner.Acquire(ctx, name, owner, ttl)
}

// Renew counts and passes on.
func (s *Store) Renew(ctx context.Context, lease store.Lease) (store.Lease, error) {
	s.count(Renew, meta.Ref{})
	return s.inner.Renew(ctx, lease)
}

// Release counts and passes on.
func (s *Store) Release(ctx context.Context, lease store.Lease) error {
	s.count(Release, meta.Ref{})
	return s.inner.Release(ctx, lease)
}

// ListObjects counts as List does and passes on (to ListObjects when the
// wrapped Store has it).
func (s *Store) ListObjects(ctx context.Context, opts store.ListOptions, newObject func() meta.Object) ([]meta.Object, error) {
	s.count(listOp(opts), meta.Ref{})
	return store.ListObjectsOf(ctx, s.inner, opts, newObject)
}

// Scan counts as List does (as FullList when opts selects everything:
// it is the same list, handed over an object at a time) and passes on (to
// Scan when the wrapped Store has it).
func (s *Store) Scan(ctx context.Context, opts store.ListOptions, fn func(store.Raw) error) (uint64, error) {
	s.count(listOp(opts), meta.Ref{})
	return store.ScanOf(ctx, s.inner, opts, fn)
}

// GetMeta counts and passes on (to GetMeta when the wrapped Store has it).
func (s *Store) GetMeta(ctx context.Context, ref meta.Ref, newObject func() meta.Object) (meta.ObjectMeta, error) {
	s.count(GetMeta, ref)
	return store.GetMetaOf(ctx, s.inner, ref, newObject)
}
