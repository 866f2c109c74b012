package certflow

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

func (m *Manager) work(ctx context.Context) {
	for {
		ref, ok := m.queue.Get(ctx)
		if !ok {
			return
		}
		m.visit(ctx, ref)
		m.queue.Done(ref)
	}
}

// visit reconciles ref if it is this replica's to look after. One that
// surely is another's now (its share moved, or it was deleted during a
// visit here and, its owners forgotten, is keyed by itself) leaves no
// timer, retry count or at-once count here: they were this replica's
// visits' and would only fire to be skipped. A guess (its owners could not
// be read) keeps them, as the object may still be this replica's.
func (m *Manager) visit(ctx context.Context, ref meta.Ref) {
	mine, err := m.share(ctx, ref)
	switch {
	case mine:
		m.reconcileOne(ctx, ref)
	case err == nil:
		m.timers.Cancel(ref)
		m.retries.reset(ref)
		m.atOnce.reset(ref)
	}
}

// dueAtOnceVisits bounds the visits a worker makes in a row to an object
// that asks to be looked at again at once (the step after an effect), so
// one that keeps asking cannot hold the worker.
const dueAtOnceVisits = 3

func (m *Manager) reconcileOne(ctx context.Context, ref meta.Ref) {
	next, err := m.invoke(ctx, ref)
	for n := 1; n < dueAtOnceVisits && err == nil && ctx.Err() == nil && !next.IsZero() && !next.After(m.cfg.Clock.Now()) && m.mine(ctx, ref); n++ {
		// Due again at once: visited again now, not after everything
		// queued meanwhile (each issuance would wait behind the others).
		next, err = m.invoke(ctx, ref)
	}
	switch {
	case err == nil:
		m.retries.reset(ref)
		switch {
		case next.IsZero():
			m.atOnce.reset(ref)
			m.timers.Cancel(ref)
		case !next.After(m.cfg.Clock.Now()):
			if n := m.atOnce.inc(ref); n > atOnceFreeRounds {
				// Round after round still due at once: it spins.
				wait := atOnceBackoff(n - atOnceFreeRounds)
				if n == atOnceFreeRounds+1 {
					// Reported once as it starts, so a reconciler that
					// spins is seen, not just slowed down.
					m.cfg.Logger.Warn("reconcile keeps asking to run again at once; backing off",
						"kind", ref.Kind, "namespace", ref.Namespace, "name", ref.Name,
						"rounds", n-1, "backoff", wait)
				}
				m.timers.Schedule(ref, m.cfg.Clock.Now().Add(wait))
				return
			}
			// Still due at once after dueAtOnceVisits: queued again as
			// soon as this visit is done, without a round through the
			// timer goroutine.
			m.timers.Cancel(ref)
			m.queue.Add(ref)
		default:
			m.atOnce.reset(ref)
			m.timers.Schedule(ref, next)
		}
	case ctx.Err() != nil:
		// Shutting down: the next Run starts from the Store again.
	default:
		m.atOnce.reset(ref)
		n := m.retries.inc(ref)
		if errors.Is(err, store.ErrConflict) && n <= 3 {
			// Someone else wrote first: reload at once, a few times.
			m.queue.Add(ref)
			return
		}
		delay := min(100*time.Millisecond<<min(n, 12), 5*time.Minute)
		m.cfg.Logger.Warn("reconcile failed", "kind", ref.Kind, "namespace", ref.Namespace,
			"name", ref.Name, "retry_in", delay, "err", err)
		m.timers.Schedule(ref, m.cfg.Clock.Now().Add(delay))
	}
}

// errReconcilerPanicked wraps the value a reconciler panicked with; the
// reconcile counts as failed and is retried with backoff.
var errReconcilerPanicked = errors.New("certflow: reconciler panicked")

// invoke runs ref's reconciler for at most ReconcileTimeout and turns a
// panic into a failed reconcile, so one bad object can neither take the
// process down nor hold a worker forever. An owned object whose owners are
// gone is collected instead of reconciled.
func (m *Manager) invoke(ctx context.Context, ref meta.Ref) (next time.Time, err error) {
	defer func() {
		if p := recover(); p != nil {
			next, err = time.Time{}, fmt.Errorf("%w: %s: %v", errReconcilerPanicked, ref, p)
			m.cfg.Logger.Error("reconciler panicked", "kind", ref.Kind, "namespace", ref.Namespace,
				"name", ref.Name, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			m.events.Event(ref, meta.EventWarning, ReasonReconcilePanicked,
				fmt.Sprintf("reconcile panicked and will be retried: %v", p))
		}
	}()
	rctx, cancel := context.WithTimeout(ctx, m.cfg.ReconcileTimeout)
	defer cancel()
	rctx = m.listed.visit(reconciling(rctx, ref))
	keep, orphan, err := m.judgeOwners(rctx, ref)
	if !keep || err != nil {
		return time.Time{}, err
	}
	next, err = m.reconcilers[ref.Kind].Reconcile(rctx, ref)
	if gone, cerr := m.collectGone(rctx, ref, err); gone {
		if cerr != nil {
			return next, fmt.Errorf("certflow: collect after %w: %w", err, cerr)
		}
		return time.Time{}, nil
	}
	if orphan && err == nil {
		// It finished what it could as an orphan, and decided on what it
		// wrote: the watch's change of that write asks for no visit
		// (workQueue.AddChange), so it is judged again now, collected if
		// it is done.
		if keep, _, err := m.judgeOwners(rctx, ref); !keep || err != nil {
			return time.Time{}, err
		}
	}
	return next, err
}

// retryCounter counts consecutive failed reconciles per object.
type retryCounter struct {
	mu sync.Mutex
	n  map[meta.Ref]int
}

func (r *retryCounter) inc(ref meta.Ref) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n[ref]++
	return r.n[ref]
}

func (r *retryCounter) reset(ref meta.Ref) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.n, ref)
}
