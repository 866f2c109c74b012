package order_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/order"
)

// Against a CA that answers a finalized order "processing, retry after two
// days", the order is not read before the CA's time, yet it is visited
// again no later than IssuingTimeout (24h by default) and fails there by
// its timeout: the hard cap holds whatever the CA asks for. The decision
// alone is TestIssuingTimeoutCapsARetryAfterPastIt; this is the whole
// visit (store, scheduling, CA).
func TestRetryAfterPastIssuingTimeoutStillEndsTheOrder(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	clk := clock.NewFake(time.Now())
	const asked = 48 * time.Hour
	e := newEnv(ctx, t, envConfig{clk: clk,
		orderOpts: order.Options{FinalizeTimeout: 300 * time.Millisecond},
		acmeOpts:  []acmetest.Option{acmetest.WithAlwaysValid(), acmetest.WithRetryAfter(0, asked)}})
	ref := e.readyOrder(ctx, t, "capped-finalize.example.test")
	created := e.getOrder(ctx, ref).ObjectMeta.CreationTime
	require.NotNil(t, created)
	capAt := created.Add(24 * time.Hour) // Options.IssuingTimeout's default

	next, err := e.orders.Reconcile(ctx, ref) // finalize
	require.NoError(t, err)
	o := e.getOrder(ctx, ref)
	require.Equal(t, order.StateProcessing, o.Status.State, o.Status.Reason)
	require.NotNil(t, o.Status.NotBefore)
	require.True(t, o.Status.NotBefore.After(capAt), "the CA's Retry-After %s reaches past the cap %s", o.Status.NotBefore, capAt)
	reads := e.srv.Requests(acmetest.EndpointOrder)
	assert.False(t, next.IsZero())
	assert.False(t, next.After(capAt), "next visit %s, after IssuingTimeout %s", next, capAt)

	clk.Set(next)
	_, err = e.orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	o = e.getOrder(ctx, ref)
	assert.Equal(t, reads, e.srv.Requests(acmetest.EndpointOrder), "the order is not read before the CA's Retry-After")
	assert.Equal(t, 1, e.srv.Requests(acmetest.EndpointFinalize))
	require.Equal(t, order.StateErrored, o.Status.State, o.Status.Reason)
	assert.False(t, o.Status.Finalizing)
	assert.Contains(t, o.Status.Reason, "order not valid within 24h0m0s")
	assert.True(t, e.events.has(ref, order.ReasonTimeout))
}
