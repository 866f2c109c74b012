package certflow

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/testrig"
)

// decidedHeld is how many decisions q remembers.
func decidedHeld(q *workQueue) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.decided)
}

// TestWorkQueue_DecidedForgetsWhatTheWatchPassed: with the watch following
// the decisions, the queue remembers a bounded number of them however many
// objects a burst decides on, and each change the watch brings for a
// version decided on still queues nothing.
func TestWorkQueue_DecidedForgetsWhatTheWatchPassed(t *testing.T) {
	q := newWorkQueue()
	const n = 20000
	most := 0
	for i := range n {
		r := ref(fmt.Sprintf("c%d", i))
		rv := strconv.Itoa(i + 1)
		q.Decided(r, rv)
		q.AddChange(r, rv) // the watch delivers the decision's change
		q.Seen(uint64(i + 1))
		most = max(most, decidedHeld(q))
	}
	assert.Equal(t, 0, q.Len(), "every change delivered had been decided on")
	assert.LessOrEqual(t, most, pruneDecidedAt, "decisions remembered at once, of %d", n)
}

// TestWorkQueue_PruneKeepsDecisionsAheadOfTheWatch: a prune keeps the
// decisions whose change the watch has not delivered yet (their change,
// when it comes, queues nothing) and those of objects in flight (their
// reconcile's end compares what it saw meanwhile with the decision); a
// decision the watch passed is forgotten, so a (late, impossible from a
// watch) change of that version queues a visit: the safe side.
func TestWorkQueue_PruneKeepsDecisionsAheadOfTheWatch(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	q := newWorkQueue()

	inFlight := ref("in-flight")
	q.AddChange(inFlight, "5")
	got, ok := q.Get(ctx)
	require.True(t, ok)
	q.AddChange(inFlight, "6") // its own write, seen while it runs
	q.Decided(inFlight, "6")
	passed := ref("passed")
	q.Decided(passed, "7")
	q.Seen(10)

	// Decisions ahead of the watch, enough to prune several times.
	const ahead = 3 * pruneDecidedAt
	for i := range ahead {
		q.Decided(ref(fmt.Sprintf("a%d", i)), strconv.Itoa(11+i))
	}
	assert.Less(t, decidedHeld(q), ahead+3, "a prune ran")

	q.Done(got)
	assert.Equal(t, 0, q.Len(), "the in-flight object's decision on 6 was kept: its end queues nothing")
	for i := range ahead {
		q.AddChange(ref(fmt.Sprintf("a%d", i)), strconv.Itoa(11+i))
	}
	assert.Equal(t, 0, q.Len(), "every decision ahead of the watch was kept")
	q.AddChange(passed, "7")
	assert.Equal(t, 1, q.Len(), "the decision the watch had passed was forgotten")
}

// TestWorkQueue_ShrinksAsABurstDrains: a queue that a burst of 100k
// references grew gives back most of it while the last of the burst are
// still queued, not only once it drains (the end of a burst is when the
// process's live heap peaks); what is still queued comes out in order.
func TestWorkQueue_ShrinksAsABurstDrains(t *testing.T) {
	ctx := testrig.Context(t)
	q := newWorkQueue()
	base := liveHeap()
	const n, left = 100000, 100
	for i := range n {
		q.Add(ref(fmt.Sprintf("c%d", i)))
	}
	grown := liveHeap()
	for range n - left {
		r, ok := q.Get(ctx)
		require.True(t, ok)
		q.Done(r)
	}
	draining := liveHeap()
	require.Greater(t, grown, base+n*50, "the burst itself takes room")
	assert.Less(t, draining, base+(grown-base)/10, "heap with %d left: %d, before the burst %d, at its peak %d", left, draining, base, grown)
	for i := n - left; i < n; i++ {
		r, ok := q.Get(ctx)
		require.True(t, ok)
		require.Equal(t, ref(fmt.Sprintf("c%d", i)), r)
		q.Done(r)
	}
	assert.Equal(t, 0, q.Len())
}
