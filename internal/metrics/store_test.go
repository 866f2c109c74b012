package metrics

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

func TestStoreResult_NamesTheSentinel(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, "success"},
		{fmt.Errorf("memory: get x: %w", store.ErrNotFound), "not_found"},
		{store.ErrConflict, "conflict"},
		{store.ErrAlreadyExists, "already_exists"},
		{store.ErrLocked, "locked"},
		{store.ErrLeaseLost, "lease_lost"},
		{fmt.Errorf("etcd: %w", context.DeadlineExceeded), "canceled"},
		{context.Canceled, "canceled"},
		{&store.CorruptError{Ref: meta.Ref{Kind: meta.KindSecret, Name: "x"}, Err: fmt.Errorf("bad json")}, "error"},
	} {
		assert.Equal(t, tc.want, storeResult(tc.err), "%v", tc.err)
	}
}

func TestStore_TimesEveryOperationAndPassesResultsThrough(t *testing.T) {
	r := newRig(t)
	s := r.m.Store(r.store)
	c := cert("default", "www", meta.IssuerRef{Name: "ca"})
	require.NoError(t, s.Create(r.ctx, c))
	require.ErrorIs(t, s.Create(r.ctx, cert("default", "www", meta.IssuerRef{Name: "ca"})), store.ErrAlreadyExists)
	got := cert("", "", meta.IssuerRef{})
	require.NoError(t, s.Get(r.ctx, meta.RefOf(c), got))
	assert.Equal(t, c.ObjectMeta.UID, got.ObjectMeta.UID)
	stale := *got
	require.NoError(t, s.Update(r.ctx, got))
	require.ErrorIs(t, s.Update(r.ctx, &stale), store.ErrConflict)
	res, err := s.List(r.ctx, store.ListOptions{Kind: meta.KindCertificate})
	require.NoError(t, err)
	assert.Len(t, res.Items, 1)
	ctx, cancel := context.WithCancel(r.ctx)
	_, err = s.Watch(ctx, res.Revision)
	require.NoError(t, err)
	cancel()
	l, err := s.Acquire(r.ctx, "lock", "me", time.Minute)
	require.NoError(t, err)
	_, err = s.Acquire(r.ctx, "lock", "you", time.Minute)
	require.ErrorIs(t, err, store.ErrLocked)
	l, err = s.Renew(r.ctx, l)
	require.NoError(t, err)
	require.NoError(t, s.Release(r.ctx, l))
	require.ErrorIs(t, s.Release(r.ctx, l), store.ErrLeaseLost)
	require.NoError(t, s.Delete(r.ctx, meta.RefOf(c), ""))
	require.ErrorIs(t, s.Get(r.ctx, meta.RefOf(c), got), store.ErrNotFound)

	assert.Equal(t, map[string]float64{
		`{operation="create",result="success"}`:        1,
		`{operation="create",result="already_exists"}`: 1,
		`{operation="get",result="success"}`:           1,
		`{operation="get",result="not_found"}`:         1,
		`{operation="update",result="success"}`:        1,
		`{operation="update",result="conflict"}`:       1,
		`{operation="list",result="success"}`:          1,
		`{operation="watch",result="success"}`:         1,
		`{operation="acquire",result="success"}`:       1,
		`{operation="acquire",result="locked"}`:        1,
		`{operation="renew",result="success"}`:         1,
		`{operation="release",result="success"}`:       1,
		`{operation="release",result="lease_lost"}`:    1,
		`{operation="delete",result="success"}`:        1,
	}, gather(t, r.m)["certflow_store_operation_duration_seconds"].samples)
	assert.Same(t, r.store, s.(interface{ Unwrap() store.Store }).Unwrap())
}

// steppedClock stands for the monotonic clock the wrappers read (since):
// it moves only when the test says that time was spent.
type steppedClock struct{ now time.Duration }

func (c *steppedClock) read() time.Duration   { return c.now }
func (c *steppedClock) spend(d time.Duration) { c.now += d }

// useSteppedClock makes the wrappers read c until the test ends.
func useSteppedClock(t *testing.T, c *steppedClock) {
	old := since
	since = c.read
	t.Cleanup(func() { since = old })
}

// slowScanner is a Store whose Scan spends own of its time before handing
// over each object.
type slowScanner struct {
	store.Store
	own   time.Duration
	clock *steppedClock
}

func (s slowScanner) Scan(ctx context.Context, opts store.ListOptions, fn func(store.Raw) error) (uint64, error) {
	return store.ScanOf(ctx, s.Store, opts, func(raw store.Raw) error {
		s.clock.spend(s.own)
		return fn(raw)
	})
}

// A Scan is timed under its own operation, for the Store's time alone:
// what the caller does with each object handed over is not the Store's
// latency, and what the Store does is.
func TestStore_ScanIsTimedWithoutTheCallersWork(t *testing.T) {
	r := newRig(t)
	clock := &steppedClock{}
	const own = 30 * time.Millisecond // the Store's, for each object
	s := r.m.Store(slowScanner{Store: r.store, own: own, clock: clock})
	for _, name := range []string{"a", "b"} {
		require.NoError(t, s.Create(r.ctx, cert("default", name, meta.IssuerRef{Name: "ca"})))
	}
	useSteppedClock(t, clock)
	const work = 100 * time.Millisecond // the caller's, for each object
	handed := 0
	_, err := s.(store.Scanner).Scan(r.ctx, store.ListOptions{}, func(store.Raw) error {
		handed++
		clock.spend(work)
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 2, handed)

	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(r.m))
	mfs, err := reg.Gather()
	require.NoError(t, err)
	var scans, lists int
	for _, mf := range mfs {
		if mf.GetName() != "certflow_store_operation_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			switch labelKey(m.GetLabel()) {
			case `{operation="scan",result="success"}`:
				scans++
				h := m.GetHistogram()
				assert.Equal(t, uint64(1), h.GetSampleCount(), "one Scan")
				assert.InDelta(t, (2 * own).Seconds(), h.GetSampleSum(), 1e-9, "the %s the Store took, and not the %s the caller took", 2*own, 2*work)
			case `{operation="list",result="success"}`:
				lists++
			}
		}
	}
	assert.Equal(t, 1, scans, "a Scan is timed as scan")
	assert.Zero(t, lists, "not as list")
}
