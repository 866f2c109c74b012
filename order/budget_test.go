package order_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
)

// A CA answering every finalize with 500 gets one finalize per visit and a
// growing backoff between visits, for the whole life of the order (10
// simulated minutes), and the order fails naming the CA's problem.
func TestPersistentFinalizeErrorStaysWithinBudget(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 60*time.Second)
	clk := clock.NewFake(time.Now())
	e := newEnv(ctx, t, envConfig{clk: clk, acmeOpts: []acmetest.Option{acmetest.WithAlwaysValid(),
		acmetest.WithFaults(acmetest.Fault{Endpoint: acmetest.EndpointFinalize, Nth: 1, Repeat: -1, Kind: acmetest.FaultServerInternal})}})
	ref := e.newOrder(ctx, "budget.example.test")
	_, err := e.orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	require.Equal(t, challenge.StateValid, e.settle(ctx, meta.RefOf(e.challenges(ctx, ref)[0])).Status.State)

	start := clk.Now()
	visits := 0
	for !e.getOrder(ctx, ref).Status.State.IsFinal() {
		visits++
		require.Less(t, visits, 200, "the order settles")
		next, err := e.orders.Reconcile(ctx, ref)
		require.NoError(t, err)
		if d := next.Sub(clk.Now()); d > 0 {
			clk.Advance(d)
		}
	}
	o := e.getOrder(ctx, ref)
	finalizes, reads := e.srv.Requests(acmetest.EndpointFinalize), e.srv.Requests(acmetest.EndpointOrder)
	t.Logf("%v simulated: %d visits, %d finalize POSTs, %d order reads; %s", clk.Now().Sub(start).Round(time.Second), visits, finalizes, reads, o.Status.Reason)
	assert.Equal(t, order.StateErrored, o.Status.State)
	assert.Contains(t, o.Status.Reason, "order not valid within 10m0s")
	assert.Contains(t, o.Status.Reason, "finalize: urn:ietf:params:acme:error:serverInternal")
	// Backoff 2s, 4s, … 5m: 9 failures fit in 10 minutes.
	assert.LessOrEqual(t, finalizes, 10, "one finalize per visit, backing off")
	assert.GreaterOrEqual(t, finalizes, 5)
	assert.LessOrEqual(t, reads, finalizes+2, "one order read between finalizes")
}
