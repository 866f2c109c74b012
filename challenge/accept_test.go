package challenge_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store/memory"
)

// caFixture is a presented, self-checked challenge in a Store shared by
// several replicas, and a fake CA.
type caFixture struct {
	clk *clock.Fake
	st  *memory.Store
	ca  *fakeCA
	fs  *fakeSolver
	ref meta.Ref
}

func newCAFixture(ctx context.Context, t *testing.T, status challenge.Status) *caFixture {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	f := &caFixture{clk: clk, st: memory.New(memory.WithClock(clk)), ca: newFakeCA(t), fs: &fakeSolver{}}
	require.NoError(t, f.st.Create(ctx, &issuer.Issuer{
		ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "acme"},
		Spec:       issuer.Spec{ACME: &issuer.ACMEIssuer{Server: f.ca.url("/dir")}},
	}))
	now := clk.Now()
	if status.Presented && status.PresentedAt == nil {
		status.PresentedAt = &now
	}
	ch := &challenge.Challenge{
		ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "c1"},
		Spec: challenge.Spec{
			URL: f.ca.url("/chal/1"), AuthorizationURL: f.ca.url("/authz/1"),
			DNSName: "a.example.test", Type: solver.HTTP01, Token: "tok", Key: "tok.thumb",
			IssuerRef: meta.IssuerRef{Name: "acme"},
		},
		Status: status,
	}
	require.NoError(t, f.st.Create(ctx, ch))
	f.ref = meta.RefOf(ch)
	return f
}

func (f *caFixture) replica(owner string) *challenge.Reconciler {
	return challenge.NewReconciler(reconcile.Deps{Store: f.st, Clock: f.clk, Owner: owner}, challenge.Options{
		OrderState: order.OwnerState,
		Clients:    f.ca,
		SolverFor:  func(context.Context, *challenge.Challenge) (solver.Solver, error) { return f.fs, nil },
	})
}

func (f *caFixture) get(ctx context.Context, t *testing.T) *challenge.Challenge {
	t.Helper()
	ch := &challenge.Challenge{}
	require.NoError(t, f.st.Get(ctx, f.ref, ch))
	return ch
}

// Replicas that all see a self-checked challenge accept it once: the
// intent is recorded before the POST under a claim named from the
// challenge, and whoever comes later reads the authorization instead.
func TestAcceptIsSentOnceAcrossReplicas(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true, State: challenge.StatePending})
	f.ca.validAfterReads = 1
	f.raceReplicas(ctx, t, 5)
	ch := f.get(ctx, t)
	assert.Equal(t, challenge.StateValid, ch.Status.State)
	assert.True(t, ch.Status.CleanedUp)
	accepts, _ := f.ca.counts()
	assert.Equal(t, 1, accepts, "one accept POST for the challenge")
}

// raceReplicas has n replicas reconcile the fixture's Challenge at once
// until it is final and cleaned up (50 rounds each at most), the clock
// moving 100 ms a round.
func (f *caFixture) raceReplicas(ctx context.Context, t *testing.T, n int) {
	var wg sync.WaitGroup
	for i := range n {
		r := f.replica(string(rune('a' + i)))
		wg.Go(func() {
			for range 50 {
				if ch := f.get(ctx, t); ch.Status.State.IsFinal() && ch.Status.CleanedUp {
					return
				}
				_, _ = r.Reconcile(ctx, f.ref) // conflicts and busy claims are retried here
				f.clk.Advance(100 * time.Millisecond)
			}
		})
	}
	wg.Wait()
}

// The accept intent is on record but its outcome is not (the owner died
// after the POST): whoever resumes reads the authorization and does not
// accept again.
func TestResumedAcceptReadsTheAuthorizationInsteadOfAcceptingAgain(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true, Accepting: true, State: challenge.StatePending})
	f.ca.challenge = acme.StatusProcessing // the dead owner's POST arrived
	_, err := f.replica("b").Reconcile(ctx, f.ref)
	require.NoError(t, err)
	ch := f.get(ctx, t)
	assert.True(t, ch.Status.Accepted)
	assert.Equal(t, challenge.StateProcessing, ch.Status.State)
	accepts, reads := f.ca.counts()
	assert.Zero(t, accepts)
	assert.Equal(t, 1, reads)
}

// The intent is on record but the POST never reached the CA: the
// authorization shows the challenge pending, so it is accepted now, once.
func TestResumedAcceptAcceptsWhenTheCANeverSawIt(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true, Accepting: true, State: challenge.StatePending})
	_, err := f.replica("b").Reconcile(ctx, f.ref)
	require.NoError(t, err)
	ch := f.get(ctx, t)
	assert.True(t, ch.Status.Accepted)
	accepts, _ := f.ca.counts()
	assert.Equal(t, 1, accepts)
}

// A live owner's accept claim makes another replica wait, not accept.
func TestAcceptClaimHeldByAnotherOwnerWaits(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true, State: challenge.StatePending})
	ch := f.get(ctx, t)
	_, err := f.st.Acquire(ctx, "challenge:"+ch.ObjectMeta.UID+":accept", "replica-a/default/c1", time.Minute)
	require.NoError(t, err)

	next, err := f.replica("b").Reconcile(ctx, f.ref)
	require.NoError(t, err)
	assert.Equal(t, f.clk.Now().Add(500*time.Millisecond), next)
	accepts, _ := f.ca.counts()
	assert.Zero(t, accepts)
	assert.True(t, f.get(ctx, t).Status.Accepting, "the intent is recorded before the claim")

	// The owner died: once its claim expires the step is resumed, reading
	// the authorization first.
	f.clk.Advance(time.Minute)
	_, err = f.replica("b").Reconcile(ctx, f.ref)
	require.NoError(t, err)
	accepts, reads := f.ca.counts()
	assert.Equal(t, 1, accepts)
	assert.Positive(t, reads)
}

// A 429 on accept is recorded with the CA's Retry-After; the challenge is
// not failed and the next attempt waits.
func TestRateLimitedAcceptWaitsForRetryAfter(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true, State: challenge.StatePending})
	f.ca.acceptFails = &acme.Error{StatusCode: http.StatusTooManyRequests, ProblemType: "urn:ietf:params:acme:error:rateLimited",
		Detail: "slow down", Header: http.Header{"Retry-After": {"7"}}}
	next, err := f.replica("a").Reconcile(ctx, f.ref)
	require.NoError(t, err)
	ch := f.get(ctx, t)
	assert.Equal(t, f.clk.Now().Add(7*time.Second), next)
	require.NotNil(t, ch.Status.NotBefore)
	assert.False(t, ch.Status.State.IsFinal())
	assert.Contains(t, ch.Status.Reason, "rate limited by the CA")
	assert.Contains(t, ch.Status.Reason, "urn:ietf:params:acme:error:rateLimited: slow down")
}

// A CA refusal fails the challenge with its problem and cleans up.
func TestRefusedAcceptFailsTheChallenge(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true, State: challenge.StatePending})
	f.ca.acceptFails = &acme.Error{StatusCode: http.StatusForbidden, ProblemType: "urn:ietf:params:acme:error:unauthorized", Detail: "no"}
	_, err := f.replica("a").Reconcile(ctx, f.ref)
	require.NoError(t, err)
	ch := f.get(ctx, t)
	assert.Equal(t, challenge.StateErrored, ch.Status.State)
	assert.Equal(t, "accept: urn:ietf:params:acme:error:unauthorized: no", ch.Status.Reason)
	assert.True(t, ch.Status.CleanedUp)
}

// An authorization poll that finds what status already records writes
// nothing (no Store churn, no wake-up of the Order with nothing new) and
// polls again as long after as it has been since the accept (the looks
// double); a change is recorded.
func TestUnchangedAuthorizationPollWritesNothing(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true, State: challenge.StatePending})
	f.ca.validAfterReads = 2
	r := f.replica("a")
	_, err := r.Reconcile(ctx, f.ref)
	require.NoError(t, err)
	accepted := f.get(ctx, t)
	require.True(t, accepted.Status.Accepted)
	require.Equal(t, challenge.StateProcessing, accepted.Status.State)

	f.clk.Advance(time.Second)
	next, err := r.Reconcile(ctx, f.ref)
	require.NoError(t, err)
	assert.Equal(t, f.clk.Now().Add(time.Second), next)
	assert.Equal(t, accepted.ObjectMeta.ResourceVersion, f.get(ctx, t).ObjectMeta.ResourceVersion, "nothing new, nothing written")

	f.clk.Advance(time.Second)
	_, err = r.Reconcile(ctx, f.ref)
	require.NoError(t, err)
	ch := f.get(ctx, t)
	assert.Equal(t, challenge.StateValid, ch.Status.State)
	assert.True(t, ch.Status.CleanedUp)
	_, reads := f.ca.counts()
	assert.Equal(t, 2, reads)
}

// The intent is on record, the CA shows the challenge pending (no accept
// reached it), and the owner chain is gone in the Store: the resumed accept
// drops the intent instead of accepting for nobody, and the visit ends once
// that is stored, with the error that has the Manager collect what the gone
// owner owned. One write: no fresh accept intent is stored only for the
// owner check to refuse it.
func TestResumedAcceptForAGoneOwnerDropsTheIntent(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true, Accepting: true, State: challenge.StatePending})
	var asked int
	var writes []challenge.Status
	counted := storecount.New(f.st)
	log := &statusLog{Store: counted, mu: &sync.Mutex{}, log: &writes}
	owner := meta.Ref{Kind: meta.KindOrder, Namespace: "default", Name: "o1"}
	r := challenge.NewReconciler(reconcile.Deps{Store: log, Clock: f.clk, Owner: "b",
		Owners: func(context.Context, meta.Object) error {
			asked++
			return &reconcile.OwnerGoneError{Owner: owner, Of: f.ref}
		}}, challenge.Options{
		OrderState: order.OwnerState,
		Clients:    f.ca,
		SolverFor:  func(context.Context, *challenge.Challenge) (solver.Solver, error) { return f.fs, nil },
	})
	_, err := r.Reconcile(ctx, f.ref)
	accepts, reads := f.ca.counts()
	assert.Zero(t, accepts, "no accept for a gone owner")
	assert.Equal(t, 1, reads, "whether an earlier accept reached the CA is read first")
	require.ErrorIs(t, err, reconcile.ErrOwnerGone)
	gone, ok := errors.AsType[*reconcile.OwnerGoneError](err)
	require.True(t, ok)
	assert.Equal(t, owner, gone.Owner, "the owner found gone is named, for the Manager to collect")
	assert.Equal(t, 1, asked, "the owners were asked once")
	require.Len(t, writes, 1, "one write: the dropped intent, no fresh one")
	assert.False(t, writes[0].Accepting, "the resumed accept's outcome drops the intent")
	assert.False(t, writes[0].Accepted)
	assert.EqualValues(t, 1, counted.Counts().Of(storecount.Update), "no other update")
	assert.EqualValues(t, 0, counted.Counts().Of(storecount.Create)+counted.Counts().Of(storecount.Delete), "nothing else written")
	stored := f.get(ctx, t)
	assert.False(t, stored.Status.Accepting, "the Store holds the dropped intent")
}

// TestResumedAcceptWhenTheOwnersCannotBeReadKeepsTheIntent: an owner check
// that fails for another reason than a gone owner (the Store did not
// answer) says nothing of the owner: the resumed accept is neither sent
// nor dropped, nothing is written, and the visit fails with that error, to
// be retried.
func TestResumedAcceptWhenTheOwnersCannotBeReadKeepsTheIntent(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true, Accepting: true, State: challenge.StatePending})
	var writes []challenge.Status
	counted := storecount.New(f.st)
	log := &statusLog{Store: counted, mu: &sync.Mutex{}, log: &writes}
	unreadable := errors.New("owners unreadable")
	r := challenge.NewReconciler(reconcile.Deps{Store: log, Clock: f.clk, Owner: "b",
		Owners: func(context.Context, meta.Object) error { return unreadable }}, challenge.Options{
		OrderState: order.OwnerState,
		Clients:    f.ca,
		SolverFor:  func(context.Context, *challenge.Challenge) (solver.Solver, error) { return f.fs, nil },
	})
	_, err := r.Reconcile(ctx, f.ref)
	require.ErrorIs(t, err, unreadable, "the owner check's error is returned")
	assert.NotErrorIs(t, err, reconcile.ErrOwnerGone)
	accepts, reads := f.ca.counts()
	assert.Zero(t, accepts, "no accept while the owners are unknown")
	assert.Equal(t, 1, reads, "whether an earlier accept reached the CA is read first")
	assert.Empty(t, writes, "nothing written")
	assert.EqualValues(t, 0, counted.Counts().Of(storecount.Update)+counted.Counts().Of(storecount.Create)+counted.Counts().Of(storecount.Delete), "nothing written")
	stored := f.get(ctx, t)
	assert.True(t, stored.Status.Accepting, "the Store keeps the intent")
	assert.False(t, stored.Status.Accepted)
}
