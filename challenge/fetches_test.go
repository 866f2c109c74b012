package challenge_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/solver"
)

// fetchOf is the answer a CA fetches while it takes the accept.
type fetchOf int

const (
	noFetch    fetchOf = iota
	fetchOwn           // the accepted challenge's
	fetchOther         // another challenge's, accepted at the same time
	fetchLate          // the accepted challenge's, just after the blind first pause, at a CA known to fetch here once per accept
)

// acceptWithFetches accepts the fixture's HTTP-01 challenge at a CA that
// fetches an answer while it takes the accept (fetch), and
// returns how long after the accept's answer the authorization is to be
// looked at (NotBefore−AcceptedAt on the fake clock, which the wall-clock
// wait for the fetch does not move).
func acceptWithFetches(t *testing.T, fetch fetchOf, retryAfter string) time.Duration {
	t.Helper()
	return acceptWithFetchesOn(t, &challenge.Fetches{}, fetch, retryAfter)
}

// acceptWithFetchesOn is acceptWithFetches with a Manager's fetches, kept
// from one accept to the next.
func acceptWithFetchesOn(t *testing.T, fetches *challenge.Fetches, fetch fetchOf, retryAfter string) time.Duration {
	t.Helper()
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true, State: challenge.StatePending})
	f.ca.now = f.clk.Now
	f.ca.acceptRetryAfter = retryAfter
	switch token := f.get(ctx, t).Spec.Token; fetch {
	case fetchOwn:
		f.ca.onAccept = func() { fetches.Served(token) }
	case fetchOther:
		f.ca.onAccept = func() { fetches.Served(token + "-other") }
	case fetchLate:
		challenge.LearnFetches(fetches, f.ca.url("/dir"), 1)
		// A millisecond after the blind pause (a wait bounded by it has
		// ended by then), within maxFetchWait.
		fetched := make(chan struct{})
		f.ca.onAccept = func() {
			time.AfterFunc(acmeproto.DefaultFirstPoll+time.Millisecond, func() {
				fetches.Served(token)
				close(fetched)
			})
		}
		// Every accept's fixture has the same token: the fetch is done
		// before the next accept watches for it.
		defer func() { <-fetched }()
	}
	_, err := fetchingReconciler(f, fetches, &acmeproto.FirstPolls{}).Reconcile(ctx, f.ref)
	require.NoError(t, err)
	got := f.get(ctx, t)
	require.True(t, got.Status.Accepted)
	require.NotNil(t, got.Status.NotBefore)
	return got.Status.NotBefore.Sub(*got.Status.AcceptedAt)
}

// fetchingReconciler reconciles f's challenge with fetches and firstPolls.
func fetchingReconciler(f *caFixture, fetches *challenge.Fetches, firstPolls *acmeproto.FirstPolls) *challenge.Reconciler {
	rec := &challenge.RetryAfterRecorder{}
	return challenge.NewReconciler(reconcile.Deps{Store: f.st, Clock: f.clk, Owner: "a"}, challenge.Options{
		OrderState: order.OwnerState, Clients: recordingClients{ca: f.ca, rec: rec}, FirstPolls: firstPolls, Fetches: fetches,
		RetryAfter: rec.RetryAfter,
		SolverFor:  func(context.Context, *challenge.Challenge) (solver.Solver, error) { return f.fs, nil },
	})
}

// When this process serves the answer to the CA right after the accept,
// the authorization is looked at a moment after that fetch (the CA
// decides then), not after the blind first pause; without a fetch the
// blind pause stands, and the CA's Retry-After wins over both.
func TestFetchBringsTheFirstLookForward(t *testing.T) {
	assert.Equal(t, acmeproto.DefaultFirstPoll, acceptWithFetches(t, noFetch, ""), "no fetch: the blind first pause")
	assert.Zero(t, acceptWithFetches(t, fetchOwn, ""), "fetched: looked at once the pause after the fetch passed")
	assert.Equal(t, 2*time.Second, acceptWithFetches(t, fetchOwn, "2"), "the CA's Retry-After wins")
}

// A CA that fetches a little later than the blind first pause (busy, or
// sharing its client's cores) is still waited for once it is known to
// fetch here: a look before its fetch could only find the challenge
// pending. The wait counts as one that saw the fetch, so accepts keep
// waiting. At a CA not known to fetch here, the wait ends with the blind
// pause, which the look waits for anyway.
func TestLateFetchIsWaitedFor(t *testing.T) {
	challenge.LongFetchWait(t)
	fetches := &challenge.Fetches{}
	start := time.Now()
	require.Equal(t, acmeproto.DefaultFirstPoll, acceptWithFetchesOn(t, fetches, noFetch, ""), "not known to fetch here: the blind pause")
	require.Less(t, time.Since(start), 30*time.Second, "the wait at a CA not known to fetch here outlasted the blind pause")
	for i := range challenge.UnseenBeforeSkip + 1 {
		require.Zero(t, acceptWithFetchesOn(t, fetches, fetchLate, ""), "accept %d: looked at once the pause after the late fetch passed", i)
	}
}

// A fetch of another challenge's answer says nothing about this one: its
// blind first pause stands.
func TestFetchOfAnotherTokenLeavesTheFirstLook(t *testing.T) {
	assert.Equal(t, acmeproto.DefaultFirstPoll, acceptWithFetches(t, fetchOther, ""))
}

// When the CA's fetches stop reaching this process (a load balancer sends
// them to another replica, or the CA does not validate), accepts stop
// waiting for them after a few waits in vain, so a worker and the
// account's slot are not held each time, and no accept waits again until
// a fetch is seen: the accepts that do not wait still count their
// answer's fetches until the verdict is read, and one seen brings the
// wait back for every accept.
func TestFetchesUnseenHereStopTheWait(t *testing.T) {
	fetches := &challenge.Fetches{}
	for range challenge.UnseenBeforeSkip {
		require.Equal(t, acmeproto.DefaultFirstPoll, acceptWithFetchesOn(t, fetches, noFetch, ""))
	}
	challenge.LongFetchWait(t) // a wait that should not happen now would last a minute
	start := time.Now()
	for i := range 20 {
		require.Equal(t, acmeproto.DefaultFirstPoll, acceptWithFetchesOn(t, fetches, noFetch, ""), "accept %d after the waits in vain", i)
	}
	require.Less(t, time.Since(start), 30*time.Second, "an accept waited for a fetch after the waits in vain")
	// A fetch that does come is not waited for: the blind pause, but it
	// is counted until the verdict.
	acceptFetchedThenLook(t, fetches)
	assert.Zero(t, acceptWithFetchesOn(t, fetches, fetchOwn, ""), "after a fetch was seen every accept waits again")
}

// acceptFetchedThenLook accepts a challenge whose answer the CA fetches
// while fetches has stopped waiting: the first look comes after the blind
// pause and reads the verdict, as the Manager's next visit would.
func acceptFetchedThenLook(t *testing.T, fetches *challenge.Fetches) {
	t.Helper()
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true, State: challenge.StatePending})
	f.ca.now = f.clk.Now
	token := f.get(ctx, t).Spec.Token
	f.ca.onAccept = func() { fetches.Served(token) }
	f.ca.validAfterReads = 1
	r := fetchingReconciler(f, fetches, &acmeproto.FirstPolls{})
	next, err := r.Reconcile(ctx, f.ref)
	require.NoError(t, err)
	got := f.get(ctx, t)
	require.Equal(t, acmeproto.DefaultFirstPoll, got.Status.NotBefore.Sub(*got.Status.AcceptedAt), "the accept did not wait")
	f.clk.Advance(next.Sub(f.clk.Now()))
	_, err = r.Reconcile(ctx, f.ref)
	require.NoError(t, err)
	require.Equal(t, challenge.StateValid, f.get(ctx, t).Status.State)
}
