package order

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHoldup_OnlyWhatGoesBeyondWaitingForChallenges(t *testing.T) {
	for reason, want := range map[string]string{
		"":                                    "",
		waitingForChallenges(1):               "",
		waitingForChallenges(12):              "",
		"waiting for 1 challenge(s) and more": "waiting for 1 challenge(s) and more",
		"waiting for some challenge(s)":       "waiting for some challenge(s)",
		`no solver for "a.test"`:              `no solver for "a.test"`,
		"new order: rate limited by the CA, retrying at 2026-01-01T00:00:00Z: rateLimited": "new order: rate limited by the CA, retrying at 2026-01-01T00:00:00Z: rateLimited",
	} {
		o := &Order{}
		o.Status.Reason = reason
		assert.Equal(t, want, Holdup(o), reason)
	}
}

// TestHoldup_RoutineWaitIsCheap: the routine reason keeps its stored
// spelling, and telling it apart (on every visit of a request) allocates
// nothing.
func TestHoldup_RoutineWaitIsCheap(t *testing.T) {
	assert.Equal(t, "waiting for 3 challenge(s)", waitingForChallenges(3))
	o := &Order{}
	o.Status.Reason = waitingForChallenges(2)
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = Holdup(o) }))
	for _, r := range []string{"waiting for +2 challenge(s)", "waiting for 02 challenge(s)", "waiting for -1 challenge(s)x"} {
		o.Status.Reason = r
		assert.Equal(t, r, Holdup(o))
	}
}
