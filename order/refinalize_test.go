package order_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/reconcile"
)

// A finalize on record that never reached the CA (a replica stored the
// intent and died before its POST): the visit that reads the order, still
// ready, finalizes it at once under the claim it holds, covered by the
// intent still stored. The Order is written once, with the certificate:
// not once to clear the intent and once more to store it again.
func TestResumedFinalizeOfAReadyOrderFinalizesInTheSameVisit(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 60*time.Second)
	e := newEnv(ctx, t, envConfig{acmeOpts: []acmetest.Option{acmetest.WithAlwaysValid()}})
	ref := e.readyOrder(ctx, t, "resumed.example.test")
	o := e.getOrder(ctx, ref)
	o.Status.Finalizing = true // the intent of a finalize that was never sent
	require.NoError(t, e.st.Update(ctx, o))

	orders, updates := countOrderUpdates(e)
	_, err := orders.Reconcile(ctx, ref)
	require.NoError(t, err)

	got := e.getOrder(ctx, ref)
	require.Equal(t, order.StateValid, got.Status.State, got.Status.Reason)
	assert.NotEmpty(t, got.Status.Certificate)
	assert.False(t, got.Status.Finalizing)
	assert.Equal(t, 1, updates(), "one write: the outcome of the look and the finalize it led to")
	assert.Equal(t, 1, e.srv.Requests(acmetest.EndpointFinalize))
}

// The same resumed finalize whose owner chain is gone sends nothing: the
// fresh finalize's owner check refuses it, and the intent is cleared as
// before, so the next visit decides on an order nobody finalizes.
func TestResumedFinalizeForAGoneOwnerIsNotSent(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 60*time.Second)
	e := newEnv(ctx, t, envConfig{acmeOpts: []acmetest.Option{acmetest.WithAlwaysValid()}})
	ref := e.readyOrder(ctx, t, "gone.example.test")
	o := e.getOrder(ctx, ref)
	o.Status.Finalizing = true
	require.NoError(t, e.st.Update(ctx, o))

	var asked atomic.Int32
	deps := e.deps
	deps.Owners = func(context.Context, meta.Object) error {
		asked.Add(1)
		return reconcile.ErrOwnerGone
	}
	orders := order.NewReconciler(deps, order.Options{Clients: staticClients{e.cl}, RetryAfter: e.rec.RetryAfter})
	_, err := orders.Reconcile(ctx, ref)
	require.NoError(t, err)

	got := e.getOrder(ctx, ref)
	assert.Equal(t, order.StateReady, got.Status.State)
	assert.False(t, got.Status.Finalizing, "the intent that did not take is cleared")
	assert.Positive(t, asked.Load(), "the owners were asked before a new finalize")
	assert.Zero(t, e.srv.Requests(acmetest.EndpointFinalize), "nothing sent for a gone owner")
}

// A resumed finalize whose look has too little of its claim left for a
// finalize (here the reconcile's own deadline, under the 40 s a finalize
// may take by default) is not made under it: the intent is cleared as
// before, and the next visit finalizes under a claim of its own.
func TestResumedFinalizeWithTooLittleTimeLeftIsNotSent(t *testing.T) {
	t.Parallel()
	e := newEnv(testCtx(t, 60*time.Second), t, envConfig{acmeOpts: []acmetest.Option{acmetest.WithAlwaysValid()}})
	ctx := testCtx(t, 20*time.Second)
	ref := e.readyOrder(ctx, t, "short.example.test")
	o := e.getOrder(ctx, ref)
	o.Status.Finalizing = true
	require.NoError(t, e.st.Update(ctx, o))

	orders, _ := countOrderUpdates(e)
	_, err := orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	got := e.getOrder(ctx, ref)
	assert.Equal(t, order.StateReady, got.Status.State)
	assert.False(t, got.Status.Finalizing, "the intent that did not take is cleared")
	assert.Zero(t, e.srv.Requests(acmetest.EndpointFinalize), "no finalize without the time it may take")

	_, err = orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	got = e.getOrder(ctx, ref)
	assert.Equal(t, order.StateValid, got.Status.State, got.Status.Reason)
	assert.Equal(t, 1, e.srv.Requests(acmetest.EndpointFinalize))
}
