package order_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/order"
)

func TestHTTP01OneNameBecomesValid(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 60*time.Second)
	e := newEnv(ctx, t, envConfig{})
	ref := e.newOrder(ctx, "a.example.test")

	o := e.drive(ctx, ref, e.orders, e.chals)

	require.Equal(t, challenge.StateValid, o.Status.State, o.Status.Reason)
	chain, err := pki.ParseChain(o.Status.Certificate)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(chain), 2, "leaf and intermediate")
	assert.Equal(t, []string{"a.example.test"}, chain[0].DNSNames)
	assert.NotEmpty(t, o.Status.URL)
	assert.NotEmpty(t, o.Status.CertificateURL)
	require.Len(t, o.Status.Authorizations, 1)
	assert.Equal(t, challenge.StatePending, o.Status.Authorizations[0].InitialState)
	assert.Empty(t, e.challenges(ctx, ref), "challenges are deleted once the order is valid")
	assert.True(t, e.events.has(ref, order.ReasonComplete))
	assert.Equal(t, 1, e.srv.OrderCount())
}

func TestChallengeFailingMakesOrderInvalidWithCADetail(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 60*time.Second)
	e := newEnv(ctx, t, envConfig{wrong: true, noCheck: true})
	ref := e.newOrder(ctx, "bad.example.test")

	o := e.drive(ctx, ref, e.orders, e.chals)

	require.Equal(t, challenge.StateInvalid, o.Status.State)
	assert.Contains(t, o.Status.Reason, `"bad.example.test"`)
	assert.Contains(t, o.Status.Reason, "urn:ietf:params:acme:error:unauthorized")
	assert.NotNil(t, o.Status.FailureTime)
	chs := e.challenges(ctx, ref)
	require.Len(t, chs, 1, "a failed order keeps its challenges for diagnosis")
	assert.Equal(t, challenge.StateInvalid, chs[0].Status.State)
	assert.Contains(t, chs[0].Status.Reason, "urn:ietf:params:acme:error:unauthorized")
	assert.True(t, chs[0].Status.CleanedUp)
	assert.False(t, challenge.Serving(chs[0]))
	assert.Equal(t, int64(1), e.solver.(*countingSolver).cleanups.Load(), "CleanUp ran once for the failed challenge")
}

func TestRateLimitedNewOrderIsRetriedAtRetryAfter(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	clk := clock.NewFake(time.Now())
	e := newEnv(ctx, t, envConfig{clk: clk, acmeOpts: []acmetest.Option{
		acmetest.WithFaults(acmetest.RateLimited(acmetest.EndpointNewOrder, 1, 7*time.Second)),
	}})
	ref := e.newOrder(ctx, "limited.example.test")

	next, err := e.orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, clk.Now().Add(7*time.Second), next)
	o := e.getOrder(ctx, ref)
	assert.False(t, o.Status.State.IsFinal(), "a 429 does not fail the order")
	assert.Empty(t, o.Status.URL)
	assert.Contains(t, o.Status.Reason, "rate limited")
	assert.True(t, e.events.has(ref, order.ReasonRetry))
	assert.Equal(t, 0, e.srv.OrderCount())

	clk.Advance(7 * time.Second)
	_, err = e.orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	o = e.getOrder(ctx, ref)
	assert.NotEmpty(t, o.Status.URL)
	assert.Equal(t, 1, e.srv.OrderCount())
}

func TestRestartContinuesTheSameACMEOrder(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 60*time.Second)
	e := newEnv(ctx, t, envConfig{})
	ref := e.newOrder(ctx, "crash.example.test")

	_, err := e.orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	first := e.getOrder(ctx, ref)
	require.NotEmpty(t, first.Status.URL)
	require.Len(t, e.challenges(ctx, ref), 1)

	// "Crash": fresh reconcilers on the same Store.
	orders := order.NewReconciler(e.deps, order.Options{Clients: staticClients{e.cl}, PollInterval: 20 * time.Millisecond})
	o := e.drive(ctx, ref, orders, e.newChallengeReconciler())

	require.Equal(t, challenge.StateValid, o.Status.State, o.Status.Reason)
	assert.Equal(t, first.Status.URL, o.Status.URL)
	assert.Equal(t, 1, e.srv.OrderCount(), "no second ACME order")
	assert.Equal(t, 1, e.srv.Requests(acmetest.EndpointNewOrder))
}

func TestOrderTimesOut(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	clk := clock.NewFake(time.Now())
	e := newEnv(ctx, t, envConfig{clk: clk, orderOpts: order.Options{Timeout: 10 * time.Minute}})
	ref := e.newOrder(ctx, "slow.example.test")

	_, err := e.orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	require.Equal(t, challenge.StatePending, e.getOrder(ctx, ref).Status.State)

	clk.Advance(10 * time.Minute)
	next, err := e.orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	assert.True(t, next.IsZero())
	o := e.getOrder(ctx, ref)
	assert.Equal(t, challenge.StateErrored, o.Status.State)
	assert.Contains(t, o.Status.Reason, "order not valid within 10m0s")
	assert.True(t, e.events.has(ref, order.ReasonTimeout))
}

func TestWildcardWithoutDNS01SolverSaysWhy(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	clk := clock.NewFake(time.Now())
	e := newEnv(ctx, t, envConfig{clk: clk})
	ref := e.newOrder(ctx, "*.wild.example.test")

	next, err := e.orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, clk.Now().Add(time.Minute), next, "looks again after NoSolverRetry")
	o := e.getOrder(ctx, ref)
	assert.Equal(t, challenge.StatePending, o.Status.State)
	assert.Equal(t, `no solver matches identifier "*.wild.example.test" (wildcards need a DNS-01 solver)`, o.Status.Reason)
	assert.True(t, e.events.has(ref, order.ReasonSolver))
	assert.Empty(t, e.challenges(ctx, ref))
}

func TestPreferredChainPicksAlternate(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 60*time.Second)
	e := newEnv(ctx, t, envConfig{acmeOpts: []acmetest.Option{acmetest.WithAlternateRoots(1), acmetest.WithAlwaysValid()}})
	roots := []string{}
	for i := 0; i < e.srv.NumRoots(); i++ {
		c, err := pki.ParseChain(e.srv.RootPEM(i))
		require.NoError(t, err)
		roots = append(roots, c[0].Subject.CommonName)
	}
	require.Len(t, roots, 2)
	require.NotEqual(t, roots[0], roots[1])
	e.iss.Spec.ACME.PreferredChain = roots[1]
	require.NoError(t, e.st.Update(ctx, e.iss))
	ref := e.newOrder(ctx, "chain.example.test")

	o := e.drive(ctx, ref, e.orders, e.chals)

	require.Equal(t, challenge.StateValid, o.Status.State, o.Status.Reason)
	chain, err := pki.ParseChain(o.Status.Certificate)
	require.NoError(t, err)
	assert.Equal(t, roots[1], chain[len(chain)-1].Issuer.CommonName)
}
