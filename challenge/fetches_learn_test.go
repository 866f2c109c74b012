package challenge_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/solver"
)

// The look that follows the CA's fetch is a sample of the pause after a
// fetch, not of the blind first pause: a miss there grows the former and
// leaves the latter, which the next accept without a fetch still uses.
// (Once the CA's fetches are counted: here it is known to fetch once.)
func TestLookAfterFetchTeachesTheFetchedPause(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true, State: challenge.StatePending})
	f.ca.now = f.clk.Now
	f.ca.validAfterReads = 2 // the look right after the fetch finds it processing
	fetches, polls := &challenge.Fetches{}, &acmeproto.FirstPolls{}
	challenge.LearnFetches(fetches, f.ca.url("/dir"), 1)
	token := f.get(ctx, t).Spec.Token
	f.ca.onAccept = func() { fetches.Served(token) }
	rec := &challenge.RetryAfterRecorder{}
	r := challenge.NewReconciler(reconcile.Deps{Store: f.st, Clock: f.clk, Owner: "a"}, challenge.Options{
		OrderState: order.OwnerState, Clients: recordingClients{ca: f.ca, rec: rec}, FirstPolls: polls, Fetches: fetches,
		RetryAfter: rec.RetryAfter,
		SolverFor:  func(context.Context, *challenge.Challenge) (solver.Solver, error) { return f.fs, nil },
	})
	_, err := r.Reconcile(ctx, f.ref) // the accept, and the wait for the fetch
	require.NoError(t, err)
	require.True(t, f.get(ctx, t).Status.Accepted)
	_, before := f.ca.counts()
	_, err = r.Reconcile(ctx, f.ref) // the look
	require.NoError(t, err)
	_, after := f.ca.counts()
	require.Equal(t, before+1, after, "one look at the authorization")

	dir := f.ca.url("/dir")
	fetched := polls.ForStarting(dir, string(solver.HTTP01)+" fetched", acmeproto.MinFirstPoll, 0.95)
	assert.Greater(t, fetched.Pause(), acmeproto.MinFirstPoll, "the miss grew the pause after a fetch")
	assert.Equal(t, acmeproto.DefaultFirstPoll, polls.For(dir, string(solver.HTTP01)).Pause(), "the blind first pause learned nothing")
}
