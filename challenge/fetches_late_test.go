package challenge_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
)

// A CA a network away fetches the answer round trips after it answered
// the accept, later than any wait for its fetch may last. Once a verdict
// followed such late fetches, accepts at that CA no longer wait for the
// fetch beyond the blind pause: that wait ended before the fetch anyway,
// and put the look at its own end instead of at the pause the learner
// chose (the rtt benchmark's CA: every first look at 20 ms, a miss
// charged to a shorter pause), holding a worker and the account's slot
// meanwhile. A verdict after fetches that came in time brings the wait
// back.
func TestLateFetchingCAIsNotWaitedFor(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true, State: challenge.StatePending})
	f.ca.now = f.clk.Now
	fresh := f.get(ctx, t)
	token := fresh.Spec.Token
	fetches := &challenge.Fetches{}
	challenge.LearnFetches(fetches, f.ca.url("/dir"), 1) // known to fetch here, once
	firstPolls := &acmeproto.FirstPolls{}
	r := fetchingReconciler(f, fetches, firstPolls)
	blind := func() time.Duration { return firstPolls.For(f.ca.url("/dir"), string(solver.HTTP01)).Pause() }
	// accept accepts a fresh challenge at f's CA (each has the same
	// token), whose answer the CA fetches as fetch says (called as the CA
	// takes the accept), and returns how long after the accept's answer
	// the look is due and how long the accept's visit took (wall clock).
	// If verdict is set, the look then follows once verdict returns, and
	// reads the verdict, as the Manager's next visit would.
	n := 0
	accept := func(fetch func(), verdict func()) (pause, took time.Duration) {
		t.Helper()
		n++
		c := *fresh
		ch := &c
		ch.ObjectMeta = meta.ObjectMeta{Namespace: "default", Name: fmt.Sprintf("c%d", n+1)}
		require.NoError(t, f.st.Create(ctx, ch))
		f.ref = meta.RefOf(ch)
		f.ca.mu.Lock()
		f.ca.challenge, f.ca.authz = acme.StatusPending, acme.StatusPending
		f.ca.onAccept = fetch
		f.ca.validAfterReads = 0
		if verdict != nil {
			f.ca.validAfterReads = 1
		}
		f.ca.mu.Unlock()
		start := time.Now()
		next, err := r.Reconcile(ctx, f.ref)
		took = time.Since(start)
		require.NoError(t, err)
		got := f.get(ctx, t)
		require.NotNil(t, got.Status.NotBefore, "the accept's visit looked already")
		pause = got.Status.NotBefore.Sub(*got.Status.AcceptedAt)
		if verdict != nil {
			verdict()
			f.clk.Advance(next.Sub(f.clk.Now()))
			_, err = r.Reconcile(ctx, f.ref)
			require.NoError(t, err)
			require.Equal(t, challenge.StateValid, f.get(ctx, t).Status.State)
		}
		return pause, took
	}

	// The CA fetches only after the wait has ended without its fetch
	// (once the accept's visit returned, later than the wait lasts), and
	// the verdict is read after the fetch.
	challenge.FetchWait(t, 20*time.Millisecond)
	accept(func() {}, func() { fetches.Served(token) })

	challenge.LongFetchWait(t) // a wait that should not happen now would last a minute
	want := blind()
	pause, took := accept(func() {}, nil)
	require.Less(t, took, 30*time.Second, "an accept waited for the fetch of a CA whose fetches came late")
	assert.Equal(t, want, pause, "the blind pause")

	// The CA fetches in time again (as it takes the accept): counted
	// until the verdict, which brings the wait for a late fetch back.
	want = blind()
	pause, _ = accept(func() { fetches.Served(token) }, func() {})
	require.Equal(t, want, pause, "the accept after late fetches did not wait")
	pause, _ = accept(func() {
		time.AfterFunc(blind()+time.Millisecond, func() { fetches.Served(token) })
	}, nil)
	assert.Zero(t, pause, "a fetch after the blind pause, in time again, was waited for: looked at once the pause after it passed")
}
