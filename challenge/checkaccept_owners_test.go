package challenge_test

import (
	"context"
	"errors"
	"sync"
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
	"github.com/certflow/certflow/store"
)

// storeOwners stands for the Manager's owner check (reconcile.Deps.Owners):
// it reads the owner from the Store itself, and counts how often it was
// asked. firstAsked closes once the first check has read the Store.
type storeOwners struct {
	st         store.Store
	owner      meta.Ref
	asked      atomic.Int32
	firstAsked chan struct{}
	once       sync.Once
}

func newStoreOwners(ctx context.Context, t *testing.T, f *caFixture) *storeOwners {
	t.Helper()
	o := &order.Order{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "o1"}}
	require.NoError(t, f.st.Create(ctx, o))
	return &storeOwners{st: f.st, owner: meta.RefOf(o), firstAsked: make(chan struct{})}
}

func (o *storeOwners) check(ctx context.Context, obj meta.Object) error {
	o.asked.Add(1)
	err := o.st.Get(store.WithFreshRead(ctx), o.owner, &order.Order{})
	o.once.Do(func() { close(o.firstAsked) })
	if errors.Is(err, store.ErrNotFound) {
		return &reconcile.OwnerGoneError{Owner: o.owner, Of: meta.RefOf(obj)}
	}
	return err
}

// duringChecker is a self-check that runs during once the first owner
// check is made, then passes.
type duringChecker struct {
	*fakeSolver
	owners *storeOwners
	during func(context.Context) error
}

func (c *duringChecker) Check(ctx context.Context, _ solver.Challenge) error {
	select {
	case <-c.owners.firstAsked:
	case <-ctx.Done():
		return ctx.Err()
	}
	return c.during(ctx)
}

func (f *caFixture) ownedReplica(owners *storeOwners, s solver.Solver) *challenge.Reconciler {
	return challenge.NewReconciler(reconcile.Deps{Store: f.st, Clock: f.clk, Owner: "a", Owners: owners.check}, challenge.Options{
		OrderState: order.OwnerState,
		Clients:    f.ca,
		SolverFor:  func(context.Context, *challenge.Challenge) (solver.Solver, error) { return s, nil },
	})
}

// The owner is deleted while the first self-check runs, after the owner
// check beside it found it standing, and the check outlasts the time that
// owner check is trusted for: the owners are checked again before the
// intent, and the gone owner gets nothing written and nothing sent; the
// visit fails as when the first owner check finds it gone.
func TestSlowFirstSelfCheckForAnOwnerGoneSinceSendsNothing(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, State: challenge.StatePending})
	owners := newStoreOwners(ctx, t, f)
	before := f.get(ctx, t)
	chk := &duringChecker{fakeSolver: f.fs, owners: owners, during: func(ctx context.Context) error {
		if err := f.st.Delete(ctx, owners.owner, ""); err != nil {
			return err
		}
		f.clk.Advance(challenge.OwnersTrustedFor + time.Millisecond)
		return nil // passed
	}}
	_, err := f.ownedReplica(owners, chk).Reconcile(ctx, f.ref)
	require.ErrorIs(t, err, reconcile.ErrOwnerGone)
	gone, ok := errors.AsType[*reconcile.OwnerGoneError](err)
	require.True(t, ok)
	assert.Equal(t, owners.owner, gone.Owner, "the owner found gone is named, for the Manager to collect")
	assert.EqualValues(t, 2, owners.asked.Load(), "the owners were checked again after the check")
	accepts, reads := f.ca.counts()
	assert.Zero(t, accepts, "no accept for a gone owner")
	assert.Zero(t, reads)
	after := f.get(ctx, t)
	assert.Equal(t, before.ObjectMeta.ResourceVersion, after.ObjectMeta.ResourceVersion, "nothing written")
	assert.False(t, after.Status.Accepting, "no intent")
}

// How long the first self-check took decides whether the owners are read
// again: not when it answered within the time the owner check beside it
// is trusted for (the common case costs no Store read), once when it took
// longer; the accept is sent either way while the owner stands.
func TestFirstSelfCheckChecksTheOwnersAgainOnlyWhenSlow(t *testing.T) {
	for _, tc := range []struct {
		name  string
		took  time.Duration
		asked int32
	}{
		{"at once", 0, 1},
		{"within the bound", challenge.OwnersTrustedFor, 1},
		{"past the bound", challenge.OwnersTrustedFor + time.Nanosecond, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, State: challenge.StatePending})
			owners := newStoreOwners(ctx, t, f)
			chk := &duringChecker{fakeSolver: f.fs, owners: owners, during: func(context.Context) error {
				f.clk.Advance(tc.took)
				return nil
			}}
			_, err := f.ownedReplica(owners, chk).Reconcile(ctx, f.ref)
			require.NoError(t, err)
			assert.Equal(t, tc.asked, owners.asked.Load(), "owner checks")
			ch := f.get(ctx, t)
			assert.True(t, ch.Status.Accepted)
			accepts, _ := f.ca.counts()
			assert.Equal(t, 1, accepts)
		})
	}
}
