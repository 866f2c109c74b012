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
