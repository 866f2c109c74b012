package challenge_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/solver"
)

// Authorizations accepted together whose first looks all find the verdict
// halve a fresh learned pause once, not once each: only the first look
// tested the pause it halves, and the others, scheduled before it, did not
// test the half. Were each counted as a look at the current pause, the
// second would halve it again (1.25 ms, a pause none of them tested: the
// fall under load in http01-50x4 that 7de6394 fixed).
func TestLearnedFirstPollAuthorizationsInFlightTogetherHit(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true, State: challenge.StatePending})
	f.ca.now, f.ca.validAfter = f.clk.Now, time.Millisecond
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
	f.clk.Advance(acmeproto.DefaultFirstPoll)
	for _, ref := range refs {
		_, err := r.Reconcile(ctx, ref)
		require.NoError(t, err)
		got := &challenge.Challenge{}
		require.NoError(t, f.st.Get(ctx, ref, got))
		require.Equal(t, challenge.StateValid, got.Status.State, "%s: the first look found the verdict", ref.Name)
	}
	// The first hit halves it; the second, scheduled at twice the new
	// pause, takes the small step (about 0.92); the rest were scheduled
	// over twice the pause and are no sample.
	shrink := math.Pow(2, -0.2*(0.8/3+0.2)/0.8)
	want := float64(acmeproto.DefaultFirstPoll/2) * shrink
	pause := polls.For(f.ca.url("/dir"), string(solver.HTTP01)).Pause()
	assert.InDelta(t, want, float64(pause), float64(time.Microsecond), "%d first looks after %v found the verdict", len(refs), acmeproto.DefaultFirstPoll)
}
