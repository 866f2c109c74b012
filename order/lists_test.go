package order_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
)

// TestVisitListsChallengesOnlyToDecideOnThem: the visit that opens an
// order, reads its authorization and creates its Challenge lists none of
// the Order's Challenges: the round right after newOrder, whose
// authorizations are not read yet, decides without them, and the round
// deciding which to create knows there are none, as the Order had no URL
// when the visit loaded it (a List there found nothing, once per
// issuance). The order still ends valid, its Challenges listed and
// cleaned up once it is.
func TestVisitListsChallengesOnlyToDecideOnThem(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 60*time.Second)
	e := newEnv(ctx, t, envConfig{})
	var lists atomic.Int64
	counted := storecount.New(e.st, storecount.WithObserver(func(op storecount.Op, _ meta.Ref) {
		if op == storecount.List {
			lists.Add(1)
		}
	}))
	deps := e.deps
	deps.Store = counted
	opts := order.Options{Clients: staticClients{e.cl}, RetryAfter: e.rec.RetryAfter, PollInterval: 20 * time.Millisecond}
	orders := order.NewReconciler(deps, opts)
	ref := e.newOrder(ctx, "a.example.test")

	_, err := orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	require.Len(t, e.challenges(ctx, ref), 1, "opened, authorization read, Challenge created: one visit")
	assert.Zero(t, lists.Load(), "Challenge lists in the visit that opened the order")

	o := e.drive(ctx, ref, orders, e.chals)
	require.Equal(t, order.StateValid, o.Status.State, o.Status.Reason)
	assert.Empty(t, e.challenges(ctx, ref), "a valid order's Challenges are listed and cleaned up")
}

// TestFinalizingVisitListsChallengesOnce: the visit that finalizes an
// order whose Challenges are all valid and cleaned up lists them as it
// loads the Order, and deletes them once the order is valid without
// listing them again: settled Challenges do not change.
func TestFinalizingVisitListsChallengesOnce(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 60*time.Second)
	e := newEnv(ctx, t, envConfig{})
	var lists atomic.Int64
	counted := storecount.New(e.st, storecount.WithObserver(func(op storecount.Op, _ meta.Ref) {
		if op == storecount.List {
			lists.Add(1)
		}
	}))
	deps := e.deps
	deps.Store = counted
	opts := order.Options{Clients: staticClients{e.cl}, RetryAfter: e.rec.RetryAfter, PollInterval: 20 * time.Millisecond}
	orders := order.NewReconciler(deps, opts)
	ref := e.newOrder(ctx, "a.example.test")
	_, err := orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	chs := e.challenges(ctx, ref)
	require.Len(t, chs, 1)
	chRef := meta.RefOf(chs[0])
	for {
		_, err := e.chals.Reconcile(ctx, chRef)
		require.NoError(t, err)
		ch := &challenge.Challenge{}
		require.NoError(t, e.st.Get(ctx, chRef, ch))
		if ch.Status.State.IsFinal() && ch.Status.CleanedUp {
			require.Equal(t, challenge.StateValid, ch.Status.State, ch.Status.Reason)
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the Challenge never settled")
		case <-time.After(10 * time.Millisecond):
		}
	}

	lists.Store(0)
	_, err = orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	require.Equal(t, order.StateValid, e.getOrder(ctx, ref).Status.State)
	assert.Empty(t, e.challenges(ctx, ref), "the valid order's Challenges are cleaned up")
	assert.EqualValues(t, 1, lists.Load(), "Challenge lists in the visit that finalized")
}
