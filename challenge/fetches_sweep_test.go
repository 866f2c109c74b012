package challenge_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/challenge"
)

// A Challenge deleted from the Store by hand never reads its verdict nor
// cleans up, so its accept's fetch watch would stay for the process's
// life: stale watches are dropped as new ones start, fresh ones kept.
func TestStaleFetchWatchesAreSwept(t *testing.T) {
	fetches := &challenge.Fetches{}
	challenge.KeepFetchWatch(fetches, "deleted-by-hand")
	challenge.AgeFetchWatches(fetches, time.Hour)
	for i := 1; i < challenge.SweepEvery; i++ {
		challenge.KeepFetchWatch(fetches, fmt.Sprint("fresh-", i))
	}
	assert.Equal(t, challenge.SweepEvery-1, challenge.FetchWatches(fetches), "the stale watch dropped, every fresh one kept")
}
