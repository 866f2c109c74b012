package challenge_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/solver"
)

// pollUntilTimeout drives f's challenge, at a CA whose authorization never
// leaves processing, until it fails at its Timeout, each visit at the time
// the one before asked for; it returns the gaps between the reads of the
// authorization. The learner starts collapsed to MinFirstPoll (as after a
// run of hits at a fast CA): the worst case for the number of looks.
func pollUntilTimeout(ctx context.Context, t *testing.T, f *caFixture) []time.Duration {
	t.Helper()
	return pollUntilTimeoutWith(ctx, t, f, nil, &acmeproto.FirstPolls{})
}

// pollUntilTimeoutWith is pollUntilTimeout with the Manager's record of
// the CA's fetches (nil: none) and learned pauses.
func pollUntilTimeoutWith(ctx context.Context, t *testing.T, f *caFixture, fetches *challenge.Fetches, polls *acmeproto.FirstPolls) []time.Duration {
	t.Helper()
	f.ca.challenge = acme.StatusProcessing // and stays so
	fp := polls.For(f.ca.url("/dir"), string(solver.HTTP01))
	for fp.Pause() > acmeproto.MinFirstPoll {
		fp.Observe(true)
	}
	var last time.Time
	var gaps []time.Duration
	before := f.ca.onRead
	f.ca.onRead = func() {
		if before != nil {
			before()
		}
		if !last.IsZero() {
			gaps = append(gaps, f.clk.Now().Sub(last))
		}
		last = f.clk.Now()
	}
	r := challenge.NewReconciler(reconcile.Deps{Store: f.st, Clock: f.clk, Owner: "a"}, challenge.Options{
		OrderState: order.OwnerState, Clients: f.ca, FirstPolls: polls, Fetches: fetches,
		SolverFor: func(context.Context, *challenge.Challenge) (solver.Solver, error) { return f.fs, nil },
	})
	for visits := 0; ; visits++ {
		require.Less(t, visits, 10000, "visits without end; first gaps %v", gaps[:min(len(gaps), 8)])
		next, err := r.Reconcile(ctx, f.ref)
		require.NoError(t, err)
		if ch := f.get(ctx, t); ch.Status.State.IsFinal() {
			require.Equal(t, challenge.StateErrored, ch.Status.State, ch.Status.Reason)
			require.True(t, ch.Status.CleanedUp)
			return gaps
		}
		require.True(t, next.After(f.clk.Now()), "visit %d: next visit %s not after now %s", visits, next, f.clk.Now())
		f.clk.Set(next)
	}
}

// assertBoundedGrowingPolls checks the reads of an authorization that never
// finished within the challenge's 30m Timeout: each gap at least as long
// as the one before until they reach MaxPollInterval (4s), never longer,
// and so about log2(4s/0.5ms) + 30m/4s reads in all, however collapsed the
// learned first pause was.
func assertBoundedGrowingPolls(t *testing.T, gaps []time.Duration) {
	t.Helper()
	const limit, timeout = acmeproto.DefaultMaxPoll, 30 * time.Minute
	for i := 1; i < len(gaps); i++ {
		if gaps[i-1] < limit {
			assert.GreaterOrEqual(t, gaps[i], gaps[i-1], "gap %d shorter than the one before: %v", i, gaps[:i+1])
		}
		assert.LessOrEqual(t, gaps[i], limit, "gap %d", i)
	}
	most := int(math.Ceil(math.Log2(float64(limit/acmeproto.MinFirstPoll)))) + int(timeout/limit) + 2
	t.Logf("%d reads in %v; first gaps %v", len(gaps)+1, timeout, gaps[:min(len(gaps), 16)])
	assert.LessOrEqual(t, len(gaps)+1, most, "reads of an authorization that never finished")
}

// (1) Against a CA whose authorization stays processing forever, an
// accepted challenge's reads grow from the learned first pause to
// MaxPollInterval and stop at the challenge's Timeout: bounded, whatever
// the learner had learned.
func TestAuthorizationProcessingForeverIsPolledBoundedAndGrowing(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true, State: challenge.StatePending})
	assertBoundedGrowingPolls(t, pollUntilTimeout(ctx, t, f))
}

// The same when the accept is resumed (a crash after the POST, a dead
// claim owner, another replica) and the authorization read first already
// shows the challenge processing: no accept is sent, and the looks that
// follow still grow, though this process never saw the accept's answer.
func TestResumedAcceptProcessingForeverIsPolledBoundedAndGrowing(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true, Accepting: true, State: challenge.StatePending})
	gaps := pollUntilTimeout(ctx, t, f)
	accepts, _ := f.ca.counts()
	assert.Zero(t, accepts, "the CA had the accept already")
	assertBoundedGrowingPolls(t, gaps)
}
