package challenge_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/solver"
)

// A presented challenge whose self-check passes is written once before the
// accept: the intent, carrying the passed check with it. The passed check
// is not a write of its own (one Store write, and one watch event for every
// Manager, fewer per certificate).
func TestPassedSelfCheckIsStoredWithTheAcceptIntent(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, State: challenge.StatePending})
	var updates atomic.Int32
	counted := storecount.New(f.st, storecount.WithObserver(func(op storecount.Op, ref meta.Ref) {
		if op == storecount.Update && ref == f.ref {
			updates.Add(1)
		}
	}))
	var beforeAccept atomic.Int32
	beforeAccept.Store(-1)
	var atAccept atomic.Pointer[challenge.Challenge]
	f.ca.onAccept = func() {
		beforeAccept.Store(updates.Load())
		atAccept.Store(f.get(ctx, t))
	}
	r := challenge.NewReconciler(reconcile.Deps{Store: counted, Clock: f.clk, Owner: "a"}, challenge.Options{
		OrderState: order.OwnerState,
		Clients:    f.ca,
		SolverFor:  func(context.Context, *challenge.Challenge) (solver.Solver, error) { return f.fs, nil },
	})
	_, err := r.Reconcile(ctx, f.ref)
	require.NoError(t, err)
	stored := atAccept.Load()
	require.NotNil(t, stored, "accepted")
	assert.Equal(t, int32(1), beforeAccept.Load(), "one write before the accept: the intent")
	assert.True(t, stored.Status.SelfCheckPassed, "the passed check is stored with the intent")
	assert.True(t, stored.Status.Accepting)
	assert.True(t, f.get(ctx, t).Status.Accepted)
}

// A first self-check runs beside the accept, so not while no account slot
// is free (its outcome could not be used) and nothing is written (the
// intent is not written without a slot): when the slot comes, the
// challenge checks and accepts at once, without reading the authorization
// as if an accept might have been sent.
func TestSelfCheckWithoutASlotWaitsForItThenAccepts(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, State: challenge.StatePending})
	g := &gate{closed: f.clk.Now().Add(2 * time.Second)}
	checks := &countingChecker{fakeSolver: f.fs}
	r := challenge.NewReconciler(reconcile.Deps{Store: f.st, Clock: f.clk, Owner: "m"}, challenge.Options{
		OrderState: order.OwnerState,
		Clients:    f.ca,
		Accounts:   g,
		SolverFor:  func(context.Context, *challenge.Challenge) (solver.Solver, error) { return checks, nil },
	})
	rv := f.get(ctx, t).ObjectMeta.ResourceVersion

	next, err := r.Reconcile(ctx, f.ref)
	require.NoError(t, err)
	assert.Equal(t, g.closed, next, "looks again when the account has a slot")
	ch := f.get(ctx, t)
	assert.Equal(t, rv, ch.ObjectMeta.ResourceVersion, "nothing written")
	assert.False(t, ch.Status.SelfCheckPassed)
	assert.Zero(t, checks.n.Load(), "no check without a slot")

	g.mu.Lock()
	g.closed = time.Time{}
	g.mu.Unlock()
	_, err = r.Reconcile(ctx, f.ref)
	require.NoError(t, err)
	ch = f.get(ctx, t)
	assert.True(t, ch.Status.Accepted)
	assert.True(t, ch.Status.SelfCheckPassed)
	assert.Equal(t, int32(1), checks.n.Load(), "checked once the slot came")
	accepts, reads := f.ca.counts()
	assert.Equal(t, 1, accepts)
	assert.LessOrEqual(t, reads, 1, "no resume read before the accept")
}

// countingChecker counts the self-checks of a fakeSolver.
type countingChecker struct {
	*fakeSolver
	n atomic.Int32
}

func (c *countingChecker) Check(ctx context.Context, ch solver.Challenge) error {
	c.n.Add(1)
	return c.fakeSolver.Check(ctx, ch)
}
