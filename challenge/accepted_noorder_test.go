package challenge_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
)

// The looks at an accepted challenge's authorization read no Order: it
// waits for the CA's verdict whatever its Order became. Before the accept
// the Order is read (an abandoned challenge is not accepted).
func TestAcceptedChallengeVisitsReadNoOrder(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true, State: challenge.StatePending})
	f.ca.now = f.clk.Now
	ch := f.get(ctx, t)
	ch.ObjectMeta.OwnerRefs = []meta.Ref{{Kind: meta.KindOrder, Namespace: "default", Name: "o1"}}
	require.NoError(t, f.st.Update(ctx, ch))
	require.NoError(t, f.st.Create(ctx, &order.Order{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "o1"}}))
	var reads atomic.Int32
	r := challenge.NewReconciler(reconcile.Deps{Store: f.st, Clock: f.clk, Owner: "a"}, challenge.Options{
		Clients: f.ca, FirstPolls: &acmeproto.FirstPolls{},
		OrderState: func(ctx context.Context, st store.Reader, ref meta.Ref) (challenge.State, error) {
			reads.Add(1)
			return order.OwnerState(ctx, st, ref)
		},
		SolverFor: func(context.Context, *challenge.Challenge) (solver.Solver, error) { return f.fs, nil },
	})
	next, err := r.Reconcile(ctx, f.ref) // the accept
	require.NoError(t, err)
	require.True(t, f.get(ctx, t).Status.Accepted)
	require.EqualValues(t, 1, reads.Load(), "read before the accept")
	f.clk.Set(next)
	_, err = r.Reconcile(ctx, f.ref) // the look
	require.NoError(t, err)
	_, looks := f.ca.counts()
	require.Equal(t, 1, looks)
	assert.EqualValues(t, 1, reads.Load(), "the look read no Order")
}
