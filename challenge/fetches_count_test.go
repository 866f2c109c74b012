package challenge_test

import (
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

// A CA that fetches the answer from several perspectives decides after
// the last of them (Pebble fetches three times, a millisecond or more
// apart when busy). Once an authorization's verdict was read, the next
// accept looks at its authorization after as many fetches as the CA made
// for that one, not a pause after the first, which finds it pending.
func TestLookFollowsTheCAsUsualFetches(t *testing.T) {
	challenge.LongFetchWait(t)
	fetches := &challenge.Fetches{}
	firstPolls := &acmeproto.FirstPolls{}
	var before []int // per accept, the fetches done at its first look
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true, State: challenge.StatePending})
	f.ca.now = f.clk.Now
	second := f.get(ctx, t)
	second.ObjectMeta = meta.ObjectMeta{Namespace: "default", Name: "c2"}
	for i := range 2 {
		if i == 1 {
			// Another challenge at the same CA (what is learned is the
			// CA's), whose answer is as fresh.
			require.NoError(t, f.st.Create(ctx, second))
			f.ref = meta.RefOf(second)
			f.ca.mu.Lock()
			f.ca.challenge, f.ca.authz = acme.StatusPending, acme.StatusPending
			f.ca.mu.Unlock()
		}
		token := f.get(ctx, t).Spec.Token
		done := 0 // under f.ca.mu, as the CA's state
		all := make(chan struct{})
		fetch := func() { // with f.ca.mu held
			done++
			fetches.Served(token)
			if done == 3 {
				f.ca.challenge, f.ca.authz = acme.StatusValid, acme.StatusValid
				close(all)
			}
		}
		later := func() {
			f.ca.mu.Lock()
			defer f.ca.mu.Unlock()
			fetch()
		}
		f.ca.onAccept = func() {
			fetch()
			// Far past the pause after a fetch (0.5 ms to start), within
			// the time the wait may last.
			time.AfterFunc(2*time.Millisecond, later)
			time.AfterFunc(4*time.Millisecond, later)
		}
		first := -1
		f.ca.onRead = func() {
			if first < 0 {
				first = done
			}
		}
		r := fetchingReconciler(f, fetches, firstPolls)
		next, err := r.Reconcile(ctx, f.ref)
		require.NoError(t, err)
		// Both challenges have the same token: no fetch of this one comes
		// in the next. And the verdict is read, as the Manager's next
		// visit would.
		<-all
		if !next.IsZero() {
			f.clk.Advance(next.Sub(f.clk.Now()))
			_, err = r.Reconcile(ctx, f.ref)
			require.NoError(t, err)
		}
		require.Equal(t, challenge.StateValid, f.get(ctx, t).Status.State)
		f.ca.mu.Lock()
		before = append(before, first)
		f.ca.mu.Unlock()
	}
	require.Positive(t, before[0], "the first accept's look followed a fetch")
	assert.Equal(t, 3, before[1], "the second accept looked after the CA's three fetches")
	// The first look came before the count was known: found pending (as
	// it usually is, a fetch and a pause after the accept), it did not
	// grow the pause after the last fetch, which the second look hit.
	fetched := firstPolls.ForStarting(f.ca.url("/dir"), string(solver.HTTP01)+" fetched", acmeproto.MinFirstPoll, 0.95)
	assert.Equal(t, acmeproto.MinFirstPoll, fetched.Pause())
}

// What is learned is the CA's: at another CA, which fetches once, an
// accept looks after that fetch instead of waiting for three that never
// come (up to maxFetchWait each time, a minute here).
func TestFetchCountIsTheCAs(t *testing.T) {
	challenge.LongFetchWait(t)
	fetches := &challenge.Fetches{}
	firstPolls := &acmeproto.FirstPolls{}
	challenge.LearnFetches(fetches, "https://other.example.test/dir", 3)
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true, State: challenge.StatePending})
	f.ca.now = f.clk.Now
	token := f.get(ctx, t).Spec.Token
	f.ca.onAccept = func() { fetches.Served(token) }
	f.ca.validAfterReads = 1 // the verdict, at the look after the fetch
	start := time.Now()
	_, err := fetchingReconciler(f, fetches, firstPolls).Reconcile(ctx, f.ref)
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 5*time.Second, "the look waited for another CA's fetches")
	assert.Equal(t, challenge.StateValid, f.get(ctx, t).Status.State)
}
