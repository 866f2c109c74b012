package acmeproto

import (
	"testing"
	"time"
)

func TestPollOptions(t *testing.T) {
	shared := &FirstPolls{}
	cases := []struct {
		name                string
		polls               *FirstPolls
		first, most         time.Duration
		wantLearner, shares bool
		wantFirst, wantMost time.Duration
	}{
		{"defaults learn", nil, 0, 0, true, false, DefaultFirstPoll, DefaultMaxPoll},
		{"a shared learner is kept", shared, 0, 0, true, true, DefaultFirstPoll, DefaultMaxPoll},
		{"a fixed pause turns learning off", shared, 50 * time.Millisecond, 0, false, false, 50 * time.Millisecond, DefaultMaxPoll},
		{"the bound is never below the pause", nil, 10 * time.Second, time.Second, false, false, 10 * time.Second, 10 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			polls, first, most := c.polls, c.first, c.most
			PollOptions(&polls, &first, &most)
			if (polls != nil) != c.wantLearner {
				t.Errorf("learner %v, want %v", polls != nil, c.wantLearner)
			}
			if c.shares && polls != shared {
				t.Error("the shared learner was replaced")
			}
			if first != c.wantFirst || most != c.wantMost {
				t.Errorf("pauses %v..%v, want %v..%v", first, most, c.wantFirst, c.wantMost)
			}
		})
	}
}
