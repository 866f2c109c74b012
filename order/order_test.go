package order_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/solver"
)

func TestHTTP01OneNameBecomesValid(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 60*time.Second)
	e := newEnv(ctx, t, envConfig{})
	ref := e.newOrder(ctx, "a.example.test")

	o := e.drive(ctx, ref, e.orders, e.chals)

	require.Equal(t, order.StateValid, o.Status.State, o.Status.Reason)
	chain, err := pki.ParseChain(o.Status.Certificate)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(chain), 2, "leaf and intermediate")
	assert.Equal(t, []string{"a.example.test"}, chain[0].DNSNames)
	assert.NotEmpty(t, o.Status.URL)
	assert.NotEmpty(t, o.Status.CertificateURL)
	require.Len(t, o.Status.Authorizations, 1)
	assert.Equal(t, order.StatePending, o.Status.Authorizations[0].InitialState)
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

	require.Equal(t, order.StateInvalid, o.Status.State)
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
	assert.WithinDuration(t, clk.Now().Add(7*time.Second), next, 0)
	o := e.getOrder(ctx, ref)
	assert.False(t, o.Status.State.IsFinal(), "a 429 does not fail the order")
	assert.Empty(t, o.Status.URL)
	assert.Contains(t, o.Status.Reason, "rate limited")
	assert.True(t, e.events.has(ref, order.ReasonRetry))
	assert.Equal(t, 0, e.srv.OrderCount())
	// Recording the 429 wakes the Manager at once; that visit waits too.
	again, err := e.orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	assert.WithinDuration(t, next, again, 0)
	assert.Equal(t, 1, e.srv.Requests(acmetest.EndpointNewOrder), "nothing sent before Retry-After")

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

	require.Equal(t, order.StateValid, o.Status.State, o.Status.Reason)
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
	require.Equal(t, order.StatePending, e.getOrder(ctx, ref).Status.State)

	clk.Advance(10 * time.Minute)
	next, err := e.orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	assert.True(t, next.IsZero())
	o := e.getOrder(ctx, ref)
	assert.Equal(t, order.StateErrored, o.Status.State)
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
	assert.Equal(t, order.StatePending, o.Status.State)
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

	require.Equal(t, order.StateValid, o.Status.State, o.Status.Reason)
	chain, err := pki.ParseChain(o.Status.Certificate)
	require.NoError(t, err)
	assert.Equal(t, roots[1], chain[len(chain)-1].Issuer.CommonName)
}

func TestIPIdentifierUsesHTTP01(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 60*time.Second)
	e := newEnv(ctx, t, envConfig{solvers: []solver.Config{
		{DNS01: &solver.DNS01Config{Webhook: &solver.WebhookConfig{SolverName: "test"}}},
		{HTTP01: &solver.HTTP01Config{}},
	}})
	ref := e.newOrder(ctx, "127.0.0.1")

	o := e.drive(ctx, ref, e.orders, e.chals)

	require.Equal(t, order.StateValid, o.Status.State, o.Status.Reason)
	chain, err := pki.ParseChain(o.Status.Certificate)
	require.NoError(t, err)
	require.Len(t, chain[0].IPAddresses, 1)
	assert.Equal(t, "127.0.0.1", chain[0].IPAddresses[0].String())
}

func TestDNS01ApexAndWildcardShareTheRecordAndLeaveNothing(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 60*time.Second)
	e := newEnv(ctx, t, envConfig{
		solvers: []solver.Config{{DNS01: &solver.DNS01Config{Webhook: &solver.WebhookConfig{SolverName: "test"}}}},
		solver:  func(s *acmetest.Server) solver.Solver { return txtSolver{srv: s} },
	})
	ref := e.newOrder(ctx, "d.example.test", "*.d.example.test")

	_, err := e.orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	chs := e.challenges(ctx, ref)
	require.Len(t, chs, 2)
	for _, ch := range chs {
		assert.Equal(t, solver.DNS01, ch.Spec.Type)
		assert.Equal(t, "_acme-challenge.d.example.test.", ch.Info().RecordName())
	}

	o := e.drive(ctx, ref, e.orders, e.chals)

	require.Equal(t, order.StateValid, o.Status.State, o.Status.Reason)
	chain, err := pki.ParseChain(o.Status.Certificate)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"d.example.test", "*.d.example.test"}, chain[0].DNSNames)
	assert.Empty(t, e.srv.TXT("_acme-challenge.d.example.test."), "no TXT record is leaked")
}

func TestIssuerProfileIsRequested(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 60*time.Second)
	e := newEnv(ctx, t, envConfig{acmeOpts: []acmetest.Option{
		acmetest.WithAlwaysValid(),
		acmetest.WithProfile("default", acmetest.Profile{}),
		acmetest.WithProfile("short", acmetest.Profile{ValidityPeriod: time.Hour}),
	}})
	e.iss.Spec.ACME.Profile = "short"
	require.NoError(t, e.st.Update(ctx, e.iss))
	ref := e.newOrder(ctx, "profile.example.test")

	o := e.drive(ctx, ref, e.orders, e.chals)

	require.Equal(t, order.StateValid, o.Status.State, o.Status.Reason)
	chain, err := pki.ParseChain(o.Status.Certificate)
	require.NoError(t, err)
	assert.InDelta(t, time.Hour.Seconds(), chain[0].NotAfter.Sub(chain[0].NotBefore).Seconds(), 2)
}

func TestUnknownProfileFailsTheOrder(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	e := newEnv(ctx, t, envConfig{})
	e.iss.Spec.ACME.Profile = "nonexistent"
	require.NoError(t, e.st.Update(ctx, e.iss))
	ref := e.newOrder(ctx, "noprofile.example.test")

	next, err := e.orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	assert.True(t, next.IsZero())
	o := e.getOrder(ctx, ref)
	assert.Equal(t, order.StateErrored, o.Status.State)
	assert.Contains(t, o.Status.Reason, "nonexistent")
	assert.Equal(t, 0, e.srv.OrderCount())
}

func TestTLSALPN01BecomesValid(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 60*time.Second)
	e := newEnv(ctx, t, envConfig{tlsALPN: true, solvers: []solver.Config{{TLSALPN01: &solver.TLSALPN01Config{}}}})
	ref := e.newOrder(ctx, "alpn.example.test")

	_, err := e.orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	chs := e.challenges(ctx, ref)
	require.Len(t, chs, 1)
	assert.Equal(t, solver.TLSALPN01, chs[0].Spec.Type)

	o := e.drive(ctx, ref, e.orders, e.chals)

	require.Equal(t, order.StateValid, o.Status.State, o.Status.Reason)
}

func TestRateLimitedAcceptIsRetriedAtRetryAfter(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	clk := clock.NewFake(time.Now())
	e := newEnv(ctx, t, envConfig{clk: clk, acmeOpts: []acmetest.Option{
		acmetest.WithFaults(acmetest.RateLimited(acmetest.EndpointChallenge, 1, 5*time.Second)),
	}})
	ref := e.newOrder(ctx, "accept.example.test")
	_, err := e.orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	chs := e.challenges(ctx, ref)
	require.Len(t, chs, 1)
	chRef := meta.RefOf(chs[0])

	next, err := e.chals.Reconcile(ctx, chRef)
	require.NoError(t, err)
	assert.Equal(t, clk.Now().Add(5*time.Second), next)
	ch := e.challenges(ctx, ref)[0]
	assert.True(t, ch.Status.Presented)
	assert.False(t, ch.Status.Accepted)
	assert.Contains(t, ch.Status.Reason, "rate limited")
	assert.True(t, e.events.has(chRef, challenge.ReasonRateLimited))
	// Recording the 429 wakes the Manager at once; that visit waits too.
	again, err := e.chals.Reconcile(ctx, chRef)
	require.NoError(t, err)
	assert.WithinDuration(t, next, again, 0)
	assert.Equal(t, 1, e.srv.Requests(acmetest.EndpointChallenge), "nothing sent before Retry-After")

	clk.Advance(5 * time.Second)
	_, err = e.chals.Reconcile(ctx, chRef)
	require.NoError(t, err)
	assert.True(t, e.challenges(ctx, ref)[0].Status.Accepted)
	assert.Equal(t, challenge.StateValid, e.settle(ctx, chRef).Status.State)
}

func TestSelfCheckFailureFailsTheOrderWithWhatWasSeen(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	clk := clock.NewFake(time.Now())
	e := newEnv(ctx, t, envConfig{clk: clk, wrong: true})
	ref := e.newOrder(ctx, "selfcheck.example.test")
	_, err := e.orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	chRef := meta.RefOf(e.challenges(ctx, ref)[0])

	_, err = e.chals.Reconcile(ctx, chRef)
	require.NoError(t, err)
	ch := e.challenges(ctx, ref)[0]
	assert.Regexp(t, `^self-check: GET http://selfcheck\.example\.test:\d+/\.well-known/acme-challenge/\S+: body "not-the-key-authorization" is not the key authorization$`, ch.Status.Reason)
	assert.False(t, ch.Status.Accepted, "a failing self-check never accepts")

	clk.Advance(10 * time.Second) // the env's SelfCheckTimeout
	_, err = e.chals.Reconcile(ctx, chRef)
	require.NoError(t, err)
	ch = e.challenges(ctx, ref)[0]
	assert.Equal(t, challenge.StateErrored, ch.Status.State)
	assert.True(t, ch.Status.CleanedUp)

	_, err = e.orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	o := e.getOrder(ctx, ref)
	assert.Equal(t, order.StateErrored, o.Status.State)
	assert.Contains(t, o.Status.Reason, `HTTP-01 challenge for "selfcheck.example.test": self-check:`)
}

func TestOrderFinalizedBeforeACrashIsDownloaded(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 60*time.Second)
	e := newEnv(ctx, t, envConfig{acmeOpts: []acmetest.Option{acmetest.WithAlwaysValid()}})
	ref := e.newOrder(ctx, "finalized.example.test")
	_, err := e.orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	url := e.getOrder(ctx, ref).Status.URL
	chRef := meta.RefOf(e.challenges(ctx, ref)[0])
	for e.challenges(ctx, ref)[0].Status.State != challenge.StateValid {
		_, err := e.chals.Reconcile(ctx, chRef)
		require.NoError(t, err)
		require.NoError(t, ctx.Err())
	}

	// Someone else finalized with the order's account (a process of
	// another program, or one that recorded nothing).
	ao, err := e.cl.WaitOrder(ctx, url)
	require.NoError(t, err)
	csr, err := pki.ParseCSR(e.getOrder(ctx, ref).Spec.Request)
	require.NoError(t, err)
	der, _, err := e.cl.CreateCertFromOrder(ctx, ao, csr.Raw, true)
	require.NoError(t, err)

	_, err = e.orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	o := e.getOrder(ctx, ref)
	require.Equal(t, order.StateValid, o.Status.State, o.Status.Reason)
	assert.Equal(t, pki.EncodeDER(der...), o.Status.Certificate, "the certificate the CA issued")
	// The order reconciler finalized without asking (its authorizations
	// were valid); the CA refused (orderNotReady: the order was valid), and
	// the same visit read the order and downloaded its certificate.
	assert.Equal(t, 2, e.srv.Requests(acmetest.EndpointFinalize), "one finalize, one refused")
	orders := e.srv.Orders(ctx)
	require.Len(t, orders, 1)
	assert.Equal(t, o.Status.Certificate, pki.EncodeDER(orders[0].Certificate.Raw, der[1]), "one certificate issued")
}

func TestAuthorizationPollFollowsRetryAfter(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	clk := clock.NewFake(time.Now())
	hold := make(chan struct{})
	release := sync.OnceFunc(func() { close(hold) })
	defer release() // lets the validation authority's fetch finish
	e := newEnv(ctx, t, envConfig{clk: clk, noCheck: true, hold: hold, acmeOpts: []acmetest.Option{
		acmetest.WithRetryAfter(3*time.Second, 0),
	}})
	ref := e.newOrder(ctx, "paced.example.test")
	_, err := e.orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	chRef := meta.RefOf(e.challenges(ctx, ref)[0])

	next, err := e.chals.Reconcile(ctx, chRef) // present, accept
	require.NoError(t, err)
	require.True(t, e.challenges(ctx, ref)[0].Status.Accepted)
	assert.Equal(t, clk.Now().Add(20*time.Millisecond), next, "first poll after PollInterval")

	// The validation is held, so the challenge is processing and the CA
	// asks for 3s (as seconds, or as a date rounded to the second).
	clk.Set(next)
	next, err = e.chals.Reconcile(ctx, chRef)
	require.NoError(t, err)
	wait := next.Sub(clk.Now())
	assert.GreaterOrEqual(t, wait, retryAfterFloor)
	assert.LessOrEqual(t, wait, 3*time.Second)

	release()
	assert.Equal(t, challenge.StateValid, e.settle(ctx, chRef).Status.State)
}

func TestNewOrderWaitsForAnotherReplicasLock(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	clk := clock.NewFake(time.Now())
	e := newEnv(ctx, t, envConfig{clk: clk})
	ref := e.newOrder(ctx, "locked.example.test")
	lease, err := e.st.Acquire(ctx, "acme-new-order:"+e.getOrder(ctx, ref).ObjectMeta.UID, "other-replica", time.Minute)
	require.NoError(t, err)

	next, err := e.orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, clk.Now().Add(250*time.Millisecond), next, "looks again after LockRetry")
	assert.Equal(t, 0, e.srv.OrderCount(), "no ACME order while another replica may be creating one")

	require.NoError(t, e.st.Release(ctx, lease))
	_, err = e.orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, 1, e.srv.OrderCount())
	assert.NotEmpty(t, e.getOrder(ctx, ref).Status.URL)
}

// retryAfterFloor is the least wait a Retry-After of 3 s can give: sent as
// a date, it is rounded down to the second by the CA and read against the
// wall clock a moment later, so it may be just under 2 s (1.9992 s was seen).
const retryAfterFloor = 2*time.Second - 100*time.Millisecond

// A finalize answered "processing" with a Retry-After is looked at again
// no sooner than the CA asked, within the visit or after it; without one
// it is looked at once at once (see TestFinalizeLooksAtTheOrderAtOnce).
func TestFinalizeFollowsRetryAfter(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	clk := clock.NewFake(time.Now())
	e := newEnv(ctx, t, envConfig{clk: clk,
		orderOpts: order.Options{FinalizeTimeout: 300 * time.Millisecond},
		acmeOpts:  []acmetest.Option{acmetest.WithAlwaysValid(), acmetest.WithRetryAfter(0, 3*time.Second)}})
	ref := e.readyOrder(ctx, t, "paced-finalize.example.test")
	reads := e.srv.Requests(acmetest.EndpointOrder)

	_, err := e.orders.Reconcile(ctx, ref) // finalize
	require.NoError(t, err)
	o := e.getOrder(ctx, ref)
	require.Equal(t, order.StateProcessing, o.Status.State, o.Status.Reason)
	assert.True(t, o.Status.Finalizing)
	assert.Equal(t, 1, e.srv.Requests(acmetest.EndpointFinalize))
	assert.Equal(t, reads, e.srv.Requests(acmetest.EndpointOrder), "the order is not read before the CA's Retry-After")
	require.NotNil(t, o.Status.NotBefore)
	wait := o.Status.NotBefore.Sub(clk.Now())
	assert.GreaterOrEqual(t, wait, retryAfterFloor, "the CA's Retry-After (3s, or a date rounded to the second)")
	assert.LessOrEqual(t, wait, 3*time.Second)

	clk.Set(*o.Status.NotBefore)
	_, err = e.orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	o = e.getOrder(ctx, ref)
	require.Equal(t, order.StateValid, o.Status.State, o.Status.Reason)
	assert.Equal(t, reads+1, e.srv.Requests(acmetest.EndpointOrder), "one look, then the certificate")
	assert.Equal(t, 1, e.srv.Requests(acmetest.EndpointFinalize))
}

// Without a Retry-After the order is looked at once right after the
// finalize (a CA signs in milliseconds), in the same visit: no second
// quantum, no visit in between.
func TestFinalizeLooksAtTheOrderAtOnce(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	clk := clock.NewFake(time.Now())
	e := newEnv(ctx, t, envConfig{clk: clk, acmeOpts: []acmetest.Option{acmetest.WithAlwaysValid()}})
	ref := e.readyOrder(ctx, t, "quick-finalize.example.test")
	reads := e.srv.Requests(acmetest.EndpointOrder)

	start := time.Now()
	_, err := e.orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	o := e.getOrder(ctx, ref)
	require.Equal(t, order.StateValid, o.Status.State, o.Status.Reason)
	assert.NotEmpty(t, o.Status.Certificate)
	assert.Equal(t, 1, e.srv.Requests(acmetest.EndpointFinalize))
	assert.Equal(t, reads+1, e.srv.Requests(acmetest.EndpointOrder), "one look: acmetest answers finalize once the certificate exists")
	assert.Equal(t, 1, e.srv.Requests(acmetest.EndpointCertificate))
	t.Logf("finalize, look, download: %v", time.Since(start))
}
