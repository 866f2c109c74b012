package challenge

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestOrderView_ChangesOnlyWhenTheOrderCouldDecideOtherwise: a Challenge's
// steps before its end look the same to its Order; ending (valid, invalid,
// with its reason) and finishing its clean-up do not.
func TestOrderView_ChangesOnlyWhenTheOrderCouldDecideOtherwise(t *testing.T) {
	at := func(st Status) any { return OrderView(&Challenge{Status: st}) }
	start := at(Status{})
	for name, st := range map[string]Status{
		"presenting":        {State: StatePending, Processing: true},
		"presented":         {State: StatePending, Processing: true, Presented: true},
		"self-check failed": {State: StatePending, Processing: true, Presented: true, SelfCheckFailures: 2, Reason: "not yet"},
		"accepted":          {State: StateProcessing, Processing: true, Presented: true, Accepting: true, Accepted: true},
	} {
		assert.Equal(t, start, at(st), name)
	}
	valid := at(Status{State: StateValid, Reason: "ok", Processing: true, Presented: true})
	assert.NotEqual(t, start, valid, "ended")
	assert.NotEqual(t, valid, at(Status{State: StateInvalid, Reason: "ok", Processing: true, Presented: true}), "how it ended")
	assert.NotEqual(t, valid, at(Status{State: StateValid, Reason: "other", Processing: true, Presented: true}), "why")
	assert.NotEqual(t, valid, at(Status{State: StateValid, Reason: "ok", CleanedUp: true}), "cleaned up: the Order may delete it")
	assert.Nil(t, OrderView(nil), "not a Challenge: always wakes")
}
