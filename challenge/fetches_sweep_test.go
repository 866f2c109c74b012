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

// A Challenge deleted from the Store by hand between its accept's wait and
// the look that wait scheduled never looks: its pending look is dropped
// with its stale watch, fresh ones kept.
func TestStaleFetchLooksAreSwept(t *testing.T) {
	fetches := &challenge.Fetches{}
	challenge.KeepFetchWatch(fetches, "deleted-by-hand")
	challenge.LookAfterFetch(fetches, "deleted-by-hand")
	challenge.AgeFetchWatches(fetches, time.Hour)
	challenge.KeepFetchWatch(fetches, "fresh-0")
	challenge.LookAfterFetch(fetches, "fresh-0")
	for i := 2; i < challenge.SweepEvery; i++ {
		challenge.KeepFetchWatch(fetches, fmt.Sprint("fresh-", i))
	}
	assert.Equal(t, 1, challenge.FetchLooks(fetches), "the stale look dropped, the fresh one kept")
}
