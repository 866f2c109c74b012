package challenge_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/acmeproto"
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
	f, r, polls, refs := acceptTogether(ctx, t, time.Millisecond)
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
