package challenge_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

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

// panickingChecker's Check panics once started.
type panickingChecker struct {
	*fakeSolver
	started chan struct{}
}

func (c *panickingChecker) Check(context.Context, solver.Challenge) error {
	close(c.started)
	panic("checker bug")
}

// A first check that panics panics the visit, on the visit's goroutine,
// where the Manager turns it into a failed reconcile (on the check's own
// goroutine it would end the process), whether the accept reached the
// check's outcome or the owner check ended it before: no intent, nothing
// sent.
func TestFirstSelfCheckThatPanicsPanicsTheVisit(t *testing.T) {
	for name, ownersErr := range map[string]error{"owners stand": nil, "owner gone": reconcile.ErrOwnerGone} {
		t.Run(name, func(t *testing.T) {
			ctx := testCtx(t)
			f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, State: challenge.StatePending})
			chk := &panickingChecker{fakeSolver: f.fs, started: make(chan struct{})}
			owners := func(ctx context.Context, _ meta.Object) error {
				<-chk.started
				return ownersErr
			}
			r := challenge.NewReconciler(reconcile.Deps{Store: f.st, Clock: f.clk, Owner: "a", Owners: owners}, challenge.Options{
				OrderState: order.OwnerState,
				Clients:    f.ca,
				SolverFor:  func(context.Context, *challenge.Challenge) (solver.Solver, error) { return chk, nil },
			})
			assert.PanicsWithValue(t, "checker bug", func() { _, _ = r.Reconcile(ctx, f.ref) })
			ch := f.get(ctx, t)
			assert.False(t, ch.Status.Accepting, "no intent")
			accepts, _ := f.ca.counts()
			assert.Zero(t, accepts)
		})
	}
}

// Replicas that all take the first check of the same challenge at once
// accept it once: each check runs beside its own claim, and the intent is
// stored under the claim before the POST, so whoever comes later finds it
// (or a changed Challenge) instead of accepting again.
func TestFirstSelfCheckAcceptIsSentOnceAcrossReplicas(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, State: challenge.StatePending})
	f.ca.validAfterReads = 1
	f.raceReplicas(ctx, t, 5)
	ch := f.get(ctx, t)
	assert.Equal(t, challenge.StateValid, ch.Status.State)
	accepts, _ := f.ca.counts()
	assert.Equal(t, 1, accepts, "one accept POST for the challenge")
}

// The accept claim held by another owner: the first check started beside
// it is stopped, nothing is written and nothing sent, and the step is
// taken again when the claim may be free.
func TestFirstSelfCheckBesideABusyClaimStopsAndWritesNothing(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, State: challenge.StatePending})
	before := f.get(ctx, t)
	_, err := f.st.Acquire(ctx, "challenge:"+before.ObjectMeta.UID+":accept", "replica-a/default/c1", time.Minute)
	require.NoError(t, err)
	var ended atomic.Bool
	chk := &handshakeChecker{fakeSolver: f.fs, started: make(chan struct{}), finish: make(chan struct{})}
	r := challenge.NewReconciler(reconcile.Deps{Store: f.st, Clock: f.clk, Owner: "b"}, challenge.Options{
		OrderState: order.OwnerState,
		Clients:    f.ca,
		SolverFor:  func(context.Context, *challenge.Challenge) (solver.Solver, error) { return chk, nil },
		SelfCheck: func(ctx context.Context, ch *challenge.Challenge, s solver.Solver) error {
			defer ended.Store(true)
			return s.(solver.Checker).Check(ctx, ch.Info())
		},
	})
	next, err := r.Reconcile(ctx, f.ref) // the check never finishes on its own: only the stop ends it
	require.NoError(t, err)
	assert.Equal(t, f.clk.Now().Add(500*time.Millisecond), next, "looked at again when the claim may be free")
	assert.True(t, ended.Load(), "the visit ended its check")
	after := f.get(ctx, t)
	assert.Equal(t, before.ObjectMeta.ResourceVersion, after.ObjectMeta.ResourceVersion, "nothing written")
	accepts, reads := f.ca.counts()
	assert.Zero(t, accepts)
	assert.Zero(t, reads)
}

// A first check that fails gives the accept's claim back with the failure
// recorded: another owner may take the step at once.
func TestFailedFirstSelfCheckGivesTheClaimBack(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, State: challenge.StatePending})
	f.fs.checkErr = errors.New("connection refused")
	_, err := f.replica("a").Reconcile(ctx, f.ref)
	require.NoError(t, err)
	ch := f.get(ctx, t)
	require.Equal(t, 1, ch.Status.SelfCheckFailures)
	_, err = f.st.Acquire(ctx, "challenge:"+ch.ObjectMeta.UID+":accept", "replica-b/default/c1", time.Minute)
	require.NoError(t, err, "the claim was released")
}
