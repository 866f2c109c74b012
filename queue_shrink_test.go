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
