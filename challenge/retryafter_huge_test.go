package challenge_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/solver"
)

// wrappingRetryAfter is a delay-seconds that, multiplied by a second in a
// time.Duration, wraps around to 512ns.
const wrappingRetryAfter = "20211507185753197"

// A CA (or a proxy in front of it) that answers the authorization with a
// Retry-After too long for a time.Duration asked for a long wait: the next
// look must not come nanoseconds later, which would poll it in a tight loop.
func TestHugeRetryAfterOnAuthorizationIsNotATightLoop(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true,
		Accepting: true, Accepted: true, State: challenge.StateProcessing})
	f.ca.challenge = acme.StatusProcessing // and stays so
	f.ca.authzRetryAfter = wrappingRetryAfter
	rec := &challenge.RetryAfterRecorder{}
	r := challenge.NewReconciler(reconcile.Deps{Store: f.st, Clock: f.clk, Owner: "a"}, challenge.Options{
		OrderState: order.OwnerState, Clients: recordingClients{ca: f.ca, rec: rec}, RetryAfter: rec.RetryAfter,
		SolverFor: func(context.Context, *challenge.Challenge) (solver.Solver, error) { return f.fs, nil },
	})

	next, err := r.Reconcile(ctx, f.ref)
	require.NoError(t, err)
	_, reads := f.ca.counts()
	require.Equal(t, 1, reads)
	// Not before the challenge's Timeout (30m), which ends it.
	assert.GreaterOrEqual(t, next.Sub(f.clk.Now()), 30*time.Minute, "next look at %s, %v after this one", next, next.Sub(f.clk.Now()))
}

// The same Retry-After on a 429 (the CA rate-limiting the account) must not
// send the accept again nanoseconds later.
func TestHugeRetryAfterOnRateLimitIsNotATightLoop(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true, State: challenge.StatePending})
	f.ca.acceptFails = &acme.Error{StatusCode: http.StatusTooManyRequests, ProblemType: "urn:ietf:params:acme:error:rateLimited",
		Detail: "slow down", Header: http.Header{"Retry-After": {wrappingRetryAfter}}}

	_, err := f.replica("a").Reconcile(ctx, f.ref)
	require.NoError(t, err)
	accepts, _ := f.ca.counts()
	require.Equal(t, 1, accepts)
	ch := f.get(ctx, t)
	require.NotNil(t, ch.Status.NotBefore, "the rate limit is waited out")
	assert.GreaterOrEqual(t, ch.Status.NotBefore.Sub(f.clk.Now()), time.Hour, "next accept at %s", ch.Status.NotBefore)
}
