package certflow

import (
	"fmt"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
)

// TestWorkQueue_LetsTheBurstsArrayGoWithAQuarterLeft: the items' array a
// burst grew is let go once a quarter of it is in use, counting what Get
// took from its front (those leave the slice's capacity, not the array),
// and not only near the end of the drain; what is left comes out in order.
func TestWorkQueue_LetsTheBurstsArrayGoWithAQuarterLeft(t *testing.T) {
	ctx := testrig.Context(t)
	q := newWorkQueue()
	const n, left = 100000, 100000 / 5
	for i := range n {
		q.Add(ref(fmt.Sprintf("c%d", i)))
	}
	q.mu.Lock()
	start, size := uintptr(unsafe.Pointer(unsafe.SliceData(q.items))), uintptr(cap(q.items))*unsafe.Sizeof(meta.Ref{})
	q.mu.Unlock()
	for range n - left {
		r, ok := q.Get(ctx)
		require.True(t, ok)
		q.Done(r)
	}
	q.mu.Lock()
	at := uintptr(unsafe.Pointer(unsafe.SliceData(q.items)))
	q.mu.Unlock()
	assert.False(t, at >= start && at < start+size, "with %d of %d left, the queue still holds the burst's array of %d bytes", left, n, size)
	for i := n - left; i < n; i++ {
		r, ok := q.Get(ctx)
		require.True(t, ok)
		require.Equal(t, ref(fmt.Sprintf("c%d", i)), r)
		q.Done(r)
	}
}

// TestWorkQueue_PrunesTheNextBurstFromTheStart: a burst whose decisions the
// watch lagged behind leaves decided pruned at a large size; once the queue
// drains and decided is made anew, the next burst is pruned from
// pruneDecidedAt again, not from the last one's size.
func TestWorkQueue_PrunesTheNextBurstFromTheStart(t *testing.T) {
	ctx := testrig.Context(t)
	q := newWorkQueue()
	const lagging = 8 * pruneDecidedAt
	q.Add(ref("first"))
	r, ok := q.Get(ctx)
	require.True(t, ok)
	for i := range lagging { // ahead of the watch: kept by every prune
		q.Decided(ref(fmt.Sprintf("a%d", i)), fmt.Sprint(i+1))
	}
	q.Done(r) // drained: decided, past shrinkAfter, is made anew
	require.Zero(t, decidedHeld(q))
	most := 0
	for i := range lagging {
		v := lagging + i + 1
		q.Seen(uint64(v)) // the watch keeps up now
		q.Decided(ref(fmt.Sprintf("b%d", i)), fmt.Sprint(v))
		most = max(most, decidedHeld(q))
	}
	assert.LessOrEqual(t, most, pruneDecidedAt, "decisions held at once in the second burst")
}
