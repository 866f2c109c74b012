package challenge_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/acmeproto"
)

// (4) A CA that fetches the HTTP-01 answer, and goes on fetching it, but
// never comes to a verdict: the accept's wait for its fetches ends (it is
// bounded, however many fetches come), the looks at the authorization
// still grow and stop at the challenge's Timeout, and once the challenge
// is cleaned up nothing of its watch or its pending look is left.
func TestFetchesWithoutVerdictHoldNothing(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true, State: challenge.StatePending})
	fetches := &challenge.Fetches{}
	token := f.get(ctx, t).Spec.Token
	// The CA is known to fetch three times per accept: the wait then
	// lasts up to maxFetchWait for them, and a fetch every 200µs from the
	// accept on keeps coming.
	challenge.LearnFetches(fetches, f.ca.url("/dir"), 3)
	// And the quiet pause after its fetches is learned long: only the
	// bound ends the wait.
	polls := &acmeproto.FirstPolls{}
	polls.ForStarting(f.ca.url("/dir"), challenge.FetchedKind, acmeproto.MaxFirstPoll, 0.95)
	stop := make(chan struct{})
	ended := make(chan struct{})
	f.ca.onAccept = func() {
		go func() {
			defer close(ended)
			tick := time.NewTicker(200 * time.Microsecond)
			defer tick.Stop()
			for {
				fetches.Served(token)
				select {
				case <-stop:
					return
				case <-tick.C:
				}
			}
		}()
	}
	var watchesAfterAccept int
	f.ca.onRead = func() {
		if watchesAfterAccept == 0 {
			watchesAfterAccept = challenge.FetchWatches(fetches)
		}
	}

	gaps := pollUntilTimeoutWith(ctx, t, f, fetches, polls)
	close(stop)
	<-ended

	accepts, reads := f.ca.counts()
	assert.Equal(t, 1, accepts)
	assert.Equal(t, 1, watchesAfterAccept, "the accept's watch is kept until the verdict or the clean-up")
	assertBoundedGrowingPolls(t, gaps)
	assert.Equal(t, len(gaps)+1, reads)
	assert.Zero(t, challenge.FetchWatches(fetches), "no fetch watch left after the clean-up")
	assert.Zero(t, challenge.FetchLooks(fetches), "no pending look left after the clean-up")
}
