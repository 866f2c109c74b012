package challenge_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/solver"
)

// handshakeChecker is a self-check that waits, once started, until the
// test lets it end.
type handshakeChecker struct {
	*fakeSolver
	started chan struct{}
	finish  chan struct{}
	err     error
}

func (c *handshakeChecker) Check(ctx context.Context, _ solver.Challenge) error {
	close(c.started)
	select {
	case <-c.finish:
		return c.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// The first self-check of an HTTP-01 challenge runs beside the accept's
// owner check: the owner check is asked while the check is still under
// way (were they one after the other, the check would wait for ever for
// the owner check, and the test would fail at its deadline), and the
// accept is sent with the intent stored before it.
func TestFirstSelfCheckRunsBesideTheOwnerCheck(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, State: challenge.StatePending})
	chk := &handshakeChecker{fakeSolver: f.fs, started: make(chan struct{}), finish: make(chan struct{})}
	var intentAtAccept atomic.Bool
	f.ca.onAccept = func() { intentAtAccept.Store(f.get(ctx, t).Status.Accepting) }
	owners := func(ctx context.Context, _ meta.Object) error {
		select {
		case <-chk.started:
		case <-ctx.Done():
			return ctx.Err()
		}
		close(chk.finish) // the check ends only once the owners were asked
		return nil
	}
	r := challenge.NewReconciler(reconcile.Deps{Store: f.st, Clock: f.clk, Owner: "a", Owners: owners}, challenge.Options{
		OrderState: order.OwnerState,
		Clients:    f.ca,
		SolverFor:  func(context.Context, *challenge.Challenge) (solver.Solver, error) { return chk, nil },
	})
	_, err := r.Reconcile(ctx, f.ref)
	require.NoError(t, err)
	ch := f.get(ctx, t)
	assert.True(t, ch.Status.Accepted)
	assert.True(t, ch.Status.SelfCheckPassed)
	assert.True(t, intentAtAccept.Load(), "the intent was stored before the accept")
	accepts, _ := f.ca.counts()
	assert.Equal(t, 1, accepts)
}

// A first check that fails is recorded as a failed check: no intent, no
// accept; the next check runs on its own.
func TestFailedFirstSelfCheckSendsNothing(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, State: challenge.StatePending})
	f.fs.checkErr = errors.New("connection refused")
	r := f.replica("a")
	next, err := r.Reconcile(ctx, f.ref)
	require.NoError(t, err)
	ch := f.get(ctx, t)
	assert.False(t, ch.Status.Accepting, "no intent")
	assert.False(t, ch.Status.SelfCheckPassed)
	assert.Equal(t, 1, ch.Status.SelfCheckFailures)
	assert.Contains(t, ch.Status.Reason, "connection refused")
	assert.True(t, next.After(f.clk.Now()), "checked again later")
	accepts, _ := f.ca.counts()
	assert.Zero(t, accepts)
}

// An owner gone while the first check runs: nothing is sent and no intent
// stored, and the check is not left running.
func TestFirstSelfCheckForAGoneOwnerSendsNothing(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, State: challenge.StatePending})
	chk := &handshakeChecker{fakeSolver: f.fs, started: make(chan struct{}), finish: make(chan struct{})}
	var checkEnded atomic.Bool
	owners := func(ctx context.Context, _ meta.Object) error {
		<-chk.started
		return reconcile.ErrOwnerGone
	}
	r := challenge.NewReconciler(reconcile.Deps{Store: f.st, Clock: f.clk, Owner: "a", Owners: owners}, challenge.Options{
		OrderState: order.OwnerState,
		Clients:    f.ca,
		SolverFor:  func(context.Context, *challenge.Challenge) (solver.Solver, error) { return chk, nil },
		SelfCheck: func(ctx context.Context, ch *challenge.Challenge, s solver.Solver) error {
			defer checkEnded.Store(true)
			return s.(solver.Checker).Check(ctx, ch.Info())
		},
	})
	_, err := r.Reconcile(ctx, f.ref)
	require.ErrorIs(t, err, reconcile.ErrOwnerGone)
	assert.True(t, checkEnded.Load(), "the visit ended its check")
	ch := f.get(ctx, t)
	assert.False(t, ch.Status.Accepting, "no intent")
	accepts, _ := f.ca.counts()
	assert.Zero(t, accepts)
}
