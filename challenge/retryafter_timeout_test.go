package challenge_test

import (
	"context"
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

// A Retry-After longer than what is left of the challenge's Timeout is
// honoured (no look before it), but the challenge still fails at its
// Timeout and cleans up what it presented: a CA asking for a year must not
// keep a token served, or a TXT record published, for a year.
func TestRetryAfterPastTheTimeoutStillEndsTheChallenge(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true,
		Accepting: true, Accepted: true, State: challenge.StateProcessing})
	f.ca.challenge = acme.StatusProcessing // and stays so
	f.ca.authzRetryAfter = "31536000"      // a year
	rec := &challenge.RetryAfterRecorder{}
	r := challenge.NewReconciler(reconcile.Deps{Store: f.st, Clock: f.clk, Owner: "a"}, challenge.Options{
		OrderState: order.OwnerState, Clients: recordingClients{ca: f.ca, rec: rec}, RetryAfter: rec.RetryAfter,
		SolverFor: func(context.Context, *challenge.Challenge) (solver.Solver, error) { return f.fs, nil },
	})
	created := f.get(ctx, t).ObjectMeta.CreationTime
	require.NotNil(t, created)

	next, err := r.Reconcile(ctx, f.ref)
	require.NoError(t, err)
	_, reads := f.ca.counts()
	require.Equal(t, 1, reads)
	deadline := created.Add(defaultChallengeTimeout)
	assert.False(t, next.After(deadline), "next visit %s, after the challenge's Timeout %s", next, deadline)

	f.clk.Set(next)
	_, err = r.Reconcile(ctx, f.ref)
	require.NoError(t, err)
	_, reads = f.ca.counts()
	assert.Equal(t, 1, reads, "no look before the CA's Retry-After")
	ch := f.get(ctx, t)
	assert.Equal(t, challenge.StateErrored, ch.Status.State, "failed at its Timeout")
	assert.True(t, ch.Status.CleanedUp, "and cleaned up")
}

// defaultChallengeTimeout is challenge.Options.Timeout's default.
const defaultChallengeTimeout = 30 * time.Minute
