package certflow

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/store/memory"
)

// reconcileFunc adapts a function to reconcile.Reconciler.
type reconcileFunc func(ctx context.Context, ref meta.Ref) (time.Time, error)

func (f reconcileFunc) Reconcile(ctx context.Context, ref meta.Ref) (time.Time, error) {
	return f(ctx, ref)
}

// startWith builds a Manager on a memory store and a fake clock, lets
// replace swap reconcilers in (the test hook: reconcilers are unexported),
// and runs it until the test ends.
func startWith(t *testing.T, mutate func(*Config), replace map[meta.Kind]reconcile.Reconciler) *harness {
	return startHooked(t, mutate, func(m *Manager) {
		for k, r := range replace {
			m.reconcilers[k] = r
		}
	})
}

// startHooked is startWith with a hook that may change the Manager's
// reconcilers before it runs.
func startHooked(t *testing.T, mutate func(*Config), hook func(*Manager)) *harness {
	t.Helper()
	return startManagerHooked(t, func(c *Config) {
		c.Workers = 2
		if mutate != nil {
			mutate(c)
		}
	}, hook)
}

// TestWorker_PanicBecomesFailedReconcileWithEventAndRetry: a reconciler that
// panics does not take the process down; the reconcile fails, the object
// gets a Warning event, an Error line is logged, and it is retried with
// backoff.
func TestWorker_PanicBecomesFailedReconcileWithEventAndRetry(t *testing.T) {
	logs := &testrig.Buffer{}
	calls := make(chan int, 10)
	var mu sync.Mutex
	n := 0
	panicky := reconcileFunc(func(ctx context.Context, ref meta.Ref) (time.Time, error) {
		mu.Lock()
		n++
		c := n
		mu.Unlock()
		calls <- c
		if c == 1 {
			var p *struct{ x int }
			_ = p.x // nil dereference, as a reconciler bug would
		}
		return time.Time{}, nil
	})
	h := startWith(t, func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(logs, nil))
	}, map[meta.Kind]reconcile.Reconciler{meta.KindCertificate: panicky})

	require.NoError(t, h.m.Apply(h.ctx, testrig.Certificate("default", "web", "ca", "web.example.test")))
	ref := testrig.CertRef("default", "web")
	require.Equal(t, 1, <-calls)

	h.waitFor("a retry is scheduled", func() bool { _, ok := h.m.timers.Scheduled(ref); return ok })
	at, _ := h.m.timers.Scheduled(ref)
	assert.True(t, at.After(h.clock.Now()), "the retry waits a backoff")
	var evs []meta.Event
	h.waitFor("the panic is stored as an event", func() bool {
		evs, _ = h.m.Events(h.ctx, ref)
		return len(evs) == 1
	})
	assert.Equal(t, meta.EventWarning, evs[0].Type)
	assert.Equal(t, ReasonReconcilePanicked, evs[0].Reason)
	assert.Contains(t, evs[0].Message, "nil pointer dereference")
	assert.Contains(t, logs.String(), "level=ERROR msg=\"reconciler panicked\"")

	h.clock.Set(at)
	require.Equal(t, 2, <-calls, "retried after the backoff")
}

// TestWorker_ReconcileDeadlineFreesTheWorker: a reconcile that would block
// forever (a CA holding the request open) is cut off at ReconcileTimeout,
// counts as failed and is retried later, and the only worker goes on to
// the next object.
func TestWorker_ReconcileDeadlineFreesTheWorker(t *testing.T) {
	stuck := testrig.CertRef("default", "stuck")
	ended := make(chan error, 1)
	done := make(chan meta.Ref, 10)
	r := reconcileFunc(func(ctx context.Context, ref meta.Ref) (time.Time, error) {
		if ref == stuck {
			<-ctx.Done()
			select {
			case ended <- ctx.Err():
			default:
			}
			return time.Time{}, ctx.Err()
		}
		done <- ref
		return time.Time{}, nil
	})
	h := startWith(t, func(c *Config) {
		c.Workers = 1
		c.ReconcileTimeout = 50 * time.Millisecond
	}, map[meta.Kind]reconcile.Reconciler{meta.KindCertificate: r})

	require.NoError(t, h.m.Apply(h.ctx, testrig.Certificate("default", "stuck", "ca", "stuck.example.test")))
	require.NoError(t, h.m.Apply(h.ctx, testrig.Certificate("default", "web", "ca", "web.example.test")))
	select {
	case got := <-done:
		assert.Equal(t, testrig.CertRef("default", "web"), got)
	case <-h.ctx.Done():
		t.Fatal("the only worker stayed with the stuck reconcile")
	}
	require.ErrorIs(t, <-ended, context.DeadlineExceeded)
	h.waitFor("the stuck object is retried later", func() bool { _, ok := h.m.timers.Scheduled(stuck); return ok })
}

// waitFor polls cond, for state that changes without a Store write (the
// Manager's timers and events).
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	testrig.Poll(h.t, h.ctx, what, cond)
}

// TestWorker_RequeuesNeverWaitForBusyWorkers: while every worker is held by
// a slow reconcile, changes and due timers still queue their objects (no
// producer waits for a worker), and the queued objects are reconciled in
// turn once a worker is free.
func TestWorker_RequeuesNeverWaitForBusyWorkers(t *testing.T) {
	release := make(chan struct{})
	held := make(chan meta.Ref, 2)
	var mu sync.Mutex
	seen := map[meta.Ref]bool{}
	r := reconcileFunc(func(ctx context.Context, ref meta.Ref) (time.Time, error) {
		if ref.Name == "slow-0" || ref.Name == "slow-1" {
			held <- ref
			select {
			case <-release:
			case <-ctx.Done():
			}
			return time.Time{}, nil
		}
		mu.Lock()
		seen[ref] = true
		mu.Unlock()
		return time.Time{}, nil
	})
	h := startWith(t, func(c *Config) { c.Workers = 2 }, map[meta.Kind]reconcile.Reconciler{meta.KindCertificate: r})
	for i := 0; i < 2; i++ {
		h.m.queue.Add(testrig.CertRef("default", fmt.Sprintf("slow-%d", i)))
	}
	<-held
	<-held

	const n = 50
	for i := 0; i < n; i++ {
		ref := testrig.CertRef("default", fmt.Sprintf("queued-%d", i))
		if i%2 == 0 {
			h.m.queue.Add(ref)
		} else {
			h.m.timers.Schedule(ref, h.clock.Now()) // due at once
		}
	}
	h.waitFor("every object is queued while both workers are held", func() bool { return h.m.queue.Len() == n+2 })
	close(release)
	h.waitFor("every queued object is reconciled", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == n
	})
}

// TestWorker_DueAtOnceIsVisitedAgainAtOnce: a visit that asks to be looked
// at again at once (the step after an effect) is made again by the same
// worker, not after everything queued meanwhile, a bounded number of
// times; then it is queued again as soon as it is done, not through the
// timer goroutine. A later time still goes to the timer.
func TestWorker_DueAtOnceIsVisitedAgainAtOnce(t *testing.T) {
	m, err := New(Config{Store: memory.New(), Clock: clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))})
	require.NoError(t, err)
	ref := meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "c"}
	other := meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "queued-before"}
	var next []time.Time
	visits := 0
	m.reconcilers[meta.KindCertificate] = reconcileFunc(func(_ context.Context, r meta.Ref) (time.Time, error) {
		require.Equal(t, ref, r)
		visits++
		at := next[0]
		if len(next) > 1 {
			next = next[1:]
		}
		return at, nil
	})
	visit := func() {
		t.Helper()
		m.queue.Add(ref)
		got, ok := m.queue.Get(context.Background())
		require.True(t, ok)
		require.Equal(t, ref, got)
		m.queue.Add(other)
		m.reconcileOne(context.Background(), ref)
		m.queue.Done(ref)
	}
	now := m.cfg.Clock.Now()

	next = []time.Time{now, {}}
	visit()
	assert.Equal(t, 2, visits, "visited again at once, before what was queued meanwhile")
	_, timed := m.timers.Scheduled(ref)
	assert.False(t, timed)
	assert.Equal(t, 1, m.queue.Len(), "only what was queued meanwhile")
	got, _ := m.queue.Get(context.Background())
	require.Equal(t, other, got)
	m.queue.Done(other)

	visits, next = 0, []time.Time{now}
	visit()
	assert.Equal(t, dueAtOnceVisits, visits, "bounded")
	_, timed = m.timers.Scheduled(ref)
	assert.False(t, timed, "no timer for a visit due now")
	assert.Equal(t, 2, m.queue.Len(), "queued again once done")
	for range 2 {
		got, _ := m.queue.Get(context.Background())
		m.queue.Done(got)
	}

	visits, next = 0, []time.Time{now.Add(time.Minute)}
	visit()
	assert.Equal(t, 1, visits)
	at, timed := m.timers.Scheduled(ref)
	assert.True(t, timed)
	assert.Equal(t, now.Add(time.Minute), at, "a later look is the timer's")
}
