package challenge_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/solver"
)

// slowCARun accepts and polls rounds authorizations, one after the other,
// at a CA that validates each validAfter after its accept (fake clock), with
// one reconciler made with opts, and returns the authorization reads of
// each round and the CA's directory URL.
func slowCARun(ctx context.Context, t *testing.T, validAfter time.Duration, rounds int, opts challenge.Options) ([]int, string) {
	t.Helper()
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true, State: challenge.StatePending})
	f.ca.now, f.ca.validAfter = f.clk.Now, validAfter
	opts.OrderState, opts.Clients = order.OwnerState, f.ca
	opts.SolverFor = func(context.Context, *challenge.Challenge) (solver.Solver, error) { return f.fs, nil }
	r := challenge.NewReconciler(reconcile.Deps{Store: f.st, Clock: f.clk, Owner: "a"}, opts)
	tmpl := f.get(ctx, t)
	var reads []int
	for round := range rounds {
		ch := &challenge.Challenge{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "c1"}, Spec: tmpl.Spec, Status: tmpl.Status}
		if round > 0 {
			ch.ObjectMeta.Name = fmt.Sprintf("c%d", round+1)
			now := f.clk.Now()
			ch.Status.PresentedAt = &now
			require.NoError(t, f.st.Create(ctx, ch))
		}
		f.ca.mu.Lock()
		f.ca.challenge, f.ca.authz, f.ca.validAt = acme.StatusPending, acme.StatusPending, time.Time{}
		before := f.ca.reads
		f.ca.mu.Unlock()
		ref := meta.RefOf(ch)
		for i := 0; ; i++ {
			require.Less(t, i, 100, "round %d never ends", round)
			next, err := r.Reconcile(ctx, ref)
			require.NoError(t, err)
			got := &challenge.Challenge{}
			require.NoError(t, f.st.Get(ctx, ref, got))
			if got.Status.State == challenge.StateValid && got.Status.CleanedUp {
				break
			}
			if next.After(f.clk.Now()) {
				f.clk.Set(next)
			}
		}
		_, after := f.ca.counts()
		reads = append(reads, after-before)
	}
	return reads, f.ca.url("/dir")
}

// Against a CA that takes over a second to validate, the learned first
// pause rises to about that (doubling with each authorization after the
// first), and an authorization then costs one or two reads, where the
// fixed 5ms doubling costs nine (5, 10, 20, … 1280ms).
func TestLearnedFirstPollAgainstSlowCA(t *testing.T) {
	ctx := testCtx(t)
	const validAfter, rounds = 1200 * time.Millisecond, 30
	fixed, _ := slowCARun(ctx, t, validAfter, rounds, challenge.Options{PollInterval: acmeproto.DefaultFirstPoll})
	polls := &acmeproto.FirstPolls{}
	learned, dir := slowCARun(ctx, t, validAfter, rounds, challenge.Options{FirstPolls: polls})

	sum := func(xs []int) int {
		n := 0
		for _, x := range xs {
			n += x
		}
		return n
	}
	t.Logf("reads per authorization: fixed %v, learned %v", fixed, learned)
	assert.Equal(t, 9*rounds, sum(fixed), "the fixed doubling: nine reads each")
	assert.Equal(t, fixed[0], learned[0], "the first authorization as before: one sample per authorization")
	assert.Less(t, learned[1], learned[0], "the second one already starts later")
	// The fake clock makes the looks exact: each authorization is one
	// sample, one step (2^(1/3), then doubling while the misses go on:
	// 6.3ms, 12.6ms, … 1613ms first), one read fewer; a later look counted
	// too would step the pause again.
	assert.Equal(t, []int{9, 8, 7, 6, 5, 4, 3, 2, 2, 1}, learned[:10], "one sample per authorization")
	late := learned[rounds/3:]
	assert.LessOrEqual(t, float64(sum(late))/float64(len(late)), 1.5, "once learned, one or two reads each")
	assert.Less(t, sum(learned), sum(fixed)/3)

	pause := polls.For(dir, string(solver.HTTP01)).Pause()
	assert.Greater(t, pause, validAfter/2, "the learned first pause rose from 5ms to about the CA's time")
}

// MaxPollInterval bounds the learned first pause too: against a CA that
// takes a second, with MaxPollInterval 100ms, the authorization is looked
// at at least every 100ms, however long the CA took before.
func TestLearnedFirstPollWithinMaxPollInterval(t *testing.T) {
	ctx := testCtx(t)
	const validAfter, limit, rounds = time.Second, 100 * time.Millisecond, 12
	reads, _ := slowCARun(ctx, t, validAfter, rounds, challenge.Options{FirstPolls: &acmeproto.FirstPolls{}, MaxPollInterval: limit})
	t.Logf("reads per authorization: %v", reads)
	for i, n := range reads {
		assert.GreaterOrEqual(t, n, int(validAfter/limit)-1, "authorization %d: looks at most %v apart", i, limit)
	}
}

// Authorizations accepted together whose first looks all miss double the
// learned pause about once, not once each: the look after a pause far
// under the current one says nothing about it.
func TestLearnedFirstPollAuthorizationsInFlightTogether(t *testing.T) {
	ctx := testCtx(t)
	f, r, polls, refs := acceptTogether(ctx, t, time.Hour)
	f.clk.Advance(acmeproto.DefaultFirstPoll)
	for _, ref := range refs {
		_, err := r.Reconcile(ctx, ref)
		require.NoError(t, err)
	}
	_, reads := f.ca.counts()
	require.GreaterOrEqual(t, reads, len(refs), "every authorization looked at once")
	pause := polls.For(f.ca.url("/dir"), string(solver.HTTP01)).Pause()
	assert.LessOrEqual(t, pause, 4*acmeproto.DefaultFirstPoll, "%d first looks after %v missed", len(refs), acmeproto.DefaultFirstPoll)
}

// acceptTogether accepts 16 authorizations at once, at a CA whose verdict
// comes validAfter the accept, each with no verdict in the accept's
// answer, and returns their reconciler and its learner.
func acceptTogether(ctx context.Context, t *testing.T, validAfter time.Duration) (*caFixture, *challenge.Reconciler, *acmeproto.FirstPolls, []meta.Ref) {
	t.Helper()
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true, State: challenge.StatePending})
	f.ca.now, f.ca.validAfter = f.clk.Now, validAfter
	polls := &acmeproto.FirstPolls{}
	r := challenge.NewReconciler(reconcile.Deps{Store: f.st, Clock: f.clk, Owner: "a"}, challenge.Options{
		OrderState: order.OwnerState, Clients: f.ca, FirstPolls: polls,
		SolverFor: func(context.Context, *challenge.Challenge) (solver.Solver, error) { return f.fs, nil },
	})
	tmpl := f.get(ctx, t)
	refs := []meta.Ref{f.ref}
	for i := 2; i <= 16; i++ {
		ch := &challenge.Challenge{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: fmt.Sprintf("c%d", i)}, Spec: tmpl.Spec, Status: tmpl.Status}
		require.NoError(t, f.st.Create(ctx, ch))
		refs = append(refs, meta.RefOf(ch))
	}
	for _, ref := range refs {
		_, err := r.Reconcile(ctx, ref)
		require.NoError(t, err)
		got := &challenge.Challenge{}
		require.NoError(t, f.st.Get(ctx, ref, got))
		require.True(t, got.Status.Accepted, "%s accepted", ref.Name)
		require.Equal(t, challenge.StateProcessing, got.Status.State, "%s: the CA's answer had no verdict yet", ref.Name)
	}
	return f, r, polls, refs
}
