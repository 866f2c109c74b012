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
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/solver"
)

// acceptRoundTrip is how long the fake CA takes to answer an accept in
// these tests: the fake clock moves by it while the POST is in flight.
const acceptRoundTrip = 3 * time.Millisecond

// The CA validates from its answer to the accept on, so the first look at
// the authorization is timed from that answer: an accept whose round trip
// took 3 ms looks 5 ms after the answer, not 2 ms after it (5 ms after the
// POST left), when the CA has had too little time to find anything.
func TestFirstAuthorizationPollIsTimedFromTheAcceptsAnswer(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true, State: challenge.StatePending})
	f.ca.onAccept = func() { f.clk.Advance(acceptRoundTrip) }
	sent := f.clk.Now()

	next, err := f.replica("a").Reconcile(ctx, f.ref)
	require.NoError(t, err)

	answered := sent.Add(acceptRoundTrip)
	ch := f.get(ctx, t)
	require.True(t, ch.Status.Accepted)
	require.NotNil(t, ch.Status.AcceptedAt)
	assert.Equal(t, answered, *ch.Status.AcceptedAt, "accepted when the CA answered")
	require.NotNil(t, ch.Status.NotBefore)
	assert.Equal(t, answered.Add(acmeFirstPoll), *ch.Status.NotBefore, "first look one first pause after the answer")
	assert.Equal(t, answered.Add(acmeFirstPoll), next)
}

// acmeFirstPoll is the polling policy's first pause (acmeproto's default).
const acmeFirstPoll = 5 * time.Millisecond

// A Retry-After on the accept's answer says when to look at the
// authorization first; a Retry-After seen earlier on the authorization
// (before the accept) does not pace the looks after it.
func TestAcceptsRetryAfterTimesTheFirstPoll(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true, State: challenge.StatePending})
	f.ca.acceptRetryAfter = "2"
	f.ca.onAccept = func() { f.clk.Advance(acceptRoundTrip) }
	rec := &challenge.RetryAfterRecorder{}
	src := recordingClients{ca: f.ca, rec: rec}
	r := challenge.NewReconciler(reconcile.Deps{Store: f.st, Clock: f.clk, Owner: "a"}, challenge.Options{
		OrderState: order.OwnerState,
		Clients:    src,
		RetryAfter: rec.RetryAfter,
		SolverFor:  func(context.Context, *challenge.Challenge) (solver.Solver, error) { return f.fs, nil },
	})
	// The authorization's latest answer, before the accept, had one too.
	cl, err := src.Client(ctx, nil)
	require.NoError(t, err)
	f.ca.setAuthzRetryAfter("60")
	_, err = cl.GetAuthorization(ctx, f.ca.url("/authz/1"))
	require.NoError(t, err)
	f.ca.setAuthzRetryAfter("")
	sent := f.clk.Now()

	next, err := r.Reconcile(ctx, f.ref)
	require.NoError(t, err)

	answered := sent.Add(acceptRoundTrip)
	assert.Equal(t, answered.Add(2*time.Second), next, "the accept's Retry-After")
	_, stale := rec.RetryAfter(f.ca.url("/authz/1"))
	assert.False(t, stale, "the authorization's older Retry-After is forgotten")
}

// recordingClients is fakeCA's client source with its transport under a
// RetryAfterRecorder, as the Manager wires it.
type recordingClients struct {
	ca  *fakeCA
	rec *challenge.RetryAfterRecorder
}

func (s recordingClients) Client(ctx context.Context, iss issuer.Object) (*acme.Client, error) {
	cl, err := s.ca.Client(ctx, iss)
	if err != nil {
		return nil, err
	}
	cl.HTTPClient = &http.Client{Transport: s.rec.Wrap(s.ca.srv.Client().Transport)}
	return cl, nil
}

func (ca *fakeCA) setAuthzRetryAfter(v string) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	ca.authzRetryAfter = v
}

// An accept answered with the challenge's verdict (a CA that validated
// before answering) leaves nothing to wait for: the authorization is read
// in the same Reconcile, not one first pause and one more visit later.
func TestAcceptAnsweredWithTheVerdictReadsTheAuthorizationAtOnce(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true, State: challenge.StatePending})
	f.ca.onAccept = func() {
		f.clk.Advance(acceptRoundTrip)
		f.ca.challenge, f.ca.authz = acme.StatusValid, acme.StatusValid // under ca.mu
	}

	_, err := f.replica("a").Reconcile(ctx, f.ref)
	require.NoError(t, err)

	accepts, reads := f.ca.counts()
	assert.Equal(t, 1, accepts)
	assert.Equal(t, 1, reads, "the authorization read in the accept's visit")
	ch := f.get(ctx, t)
	assert.Equal(t, challenge.StateValid, ch.Status.State, "the verdict stored by the accept's visit")
}

// An accept answered "processing" still waits one first pause from the
// answer before reading the authorization (the test above's counterpart).
func TestAcceptAnsweredProcessingWaitsBeforeTheFirstRead(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true, State: challenge.StatePending})

	_, err := f.replica("a").Reconcile(ctx, f.ref)
	require.NoError(t, err)

	_, reads := f.ca.counts()
	assert.Equal(t, 0, reads, "no read before the first pause")
	assert.Equal(t, challenge.StateProcessing, f.get(ctx, t).Status.State)
}
