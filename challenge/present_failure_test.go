package challenge_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store/memory"
)

// orderTimeout is the Manager's default Order timeout, which a persistent
// Present failure must beat by far.
const orderTimeout = 10 * time.Minute

// drive reconciles ref with default options, jumping the fake clock to each
// requested next visit, until the challenge is final; it returns the
// challenge and the simulated time that took.
func drive(ctx context.Context, t *testing.T, solverFor challenge.SolverFunc) (*challenge.Challenge, time.Duration) {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	st := memory.New(memory.WithClock(clk))
	require.NoError(t, st.Create(ctx, &issuer.Issuer{
		ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "acme"},
		Spec:       issuer.Spec{ACME: &issuer.ACMEIssuer{Server: "https://ca.test/dir"}},
	}))
	r := challenge.NewReconciler(reconcile.Deps{Store: st, Clock: clk, Owner: "replica-a"},
		challenge.Options{Clients: noClients{}, SolverFor: solverFor, OrderState: order.OwnerState})
	ch := &challenge.Challenge{
		ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "c1"},
		Spec: challenge.Spec{
			URL: "https://ca.test/chal/1", AuthorizationURL: "https://ca.test/authz/1",
			DNSName: "a.example.test", Type: solver.DNS01, Token: "tok", Key: "tok.thumb",
			Solver:    solver.Config{DNS01: &solver.DNS01Config{RFC2136: &solver.RFC2136Config{Nameserver: "127.0.0.1:53"}}},
			IssuerRef: meta.IssuerRef{Name: "acme"},
		},
	}
	require.NoError(t, st.Create(ctx, ch))
	start := clk.Now()
	for range 20 {
		next, err := r.Reconcile(ctx, meta.RefOf(ch))
		require.NoError(t, err)
		require.NoError(t, st.Get(ctx, meta.RefOf(ch), ch))
		if ch.Status.State.IsFinal() && ch.Status.CleanedUp {
			return ch, clk.Now().Sub(start)
		}
		require.False(t, next.IsZero(), "a failing Present is retried at a time of its own: %+v", ch.Status)
		clk.Set(next)
	}
	t.Fatalf("challenge not final: %+v", ch.Status)
	return nil, 0
}

// A DNS-01 Present that keeps failing (a bad TSIG key) is a failed attempt
// each time, and a few attempts fail the challenge with the provider's
// reason, long before the order's timeout.
func TestPersistentPresentFailureFailsTheChallengeWithinItsOwnDeadline(t *testing.T) {
	ctx := testCtx(t)
	badSig := errors.New("rfc2136: update of _acme-challenge.a.example.test. refused: NOTAUTH (BADSIG)")
	fs := &fakeSolver{presentErr: badSig}
	ch, took := drive(ctx, t, func(context.Context, *challenge.Challenge) (solver.Solver, error) { return fs, nil })

	assert.Equal(t, challenge.StateErrored, ch.Status.State)
	assert.Equal(t, "gave up after 4 failed attempts to present: present: "+badSig.Error(), ch.Status.Reason)
	assert.Equal(t, 4, ch.Status.PresentFailures)
	presents, cleanups := fs.counts()
	assert.Equal(t, 4, presents, "one Present per attempt, no inner retries")
	assert.Equal(t, 1, cleanups, "a Present that was attempted is cleaned up")
	assert.Less(t, took, time.Minute)
	assert.Less(t, took, orderTimeout/10, "fails within its own deadline, not the order's")
}

// A solver that cannot be built (an unknown provider) counts the same way;
// nothing was presented, so nothing is cleaned up.
func TestUnbuildableSolverFailsTheChallengeWithinItsOwnDeadline(t *testing.T) {
	ctx := testCtx(t)
	calls := 0
	unknown := fmt.Errorf("certflow: no such DNS-01 provider: %q", "acme-dns")
	ch, took := drive(ctx, t, func(context.Context, *challenge.Challenge) (solver.Solver, error) {
		calls++
		return nil, unknown
	})
	assert.Equal(t, challenge.StateErrored, ch.Status.State)
	assert.Equal(t, "gave up after 4 failed attempts to present: present: "+unknown.Error(), ch.Status.Reason)
	assert.False(t, ch.Status.Processing, "Present was never called")
	assert.True(t, ch.Status.CleanedUp)
	assert.Less(t, took, orderTimeout/10)
	assert.GreaterOrEqual(t, calls, 4)
}

// One failed Present followed by a working one carries on normally.
func TestPresentRecoversAfterAFailedAttempt(t *testing.T) {
	ctx := testCtx(t)
	f := newFixture(t, &fakeSolver{presentErr: errors.New("SERVFAIL"), checkErr: errors.New("not yet")})
	ref := f.create(ctx, t, solver.DNS01, challenge.Status{})
	next, err := f.r.Reconcile(ctx, ref)
	require.NoError(t, err)
	ch := f.get(ctx, t, ref)
	assert.Equal(t, 1, ch.Status.PresentFailures)
	assert.Equal(t, "present: SERVFAIL", ch.Status.Reason)
	assert.True(t, ch.Status.Processing, "the intent stays recorded: CleanUp is owed")
	assert.Equal(t, f.clk.Now().Add(5*time.Second), next)

	f.fs.mu.Lock()
	f.fs.presentErr = nil
	f.fs.mu.Unlock()
	f.clk.Set(next)
	_, err = f.r.Reconcile(ctx, ref)
	require.NoError(t, err)
	ch = f.get(ctx, t, ref)
	assert.True(t, ch.Status.Presented)
	assert.False(t, ch.Status.State.IsFinal())
	assert.Equal(t, "self-check: not yet", ch.Status.Reason)
}
