package certflow

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/testrig"
)

// TestWorkQueue_WrittenLetGoWhenTheWatchWasFirst: a writer that queues its
// write only after the watch delivered it (the watch goroutine ran first)
// leaves an entry no change of that version will ever match: the next
// change of the object lets it go and is queued as any other.
func TestWorkQueue_WrittenLetGoWhenTheWatchWasFirst(t *testing.T) {
	ctx := testrig.Context(t)
	q := newWorkQueue()
	child := ref("child")
	q.AddChange(child, "5") // the watch, first
	r, ok := q.Get(ctx)
	require.True(t, ok)
	q.Decided(child, "5")
	q.Done(r)
	q.AddWritten(child, "5") // its writer, late
	assert.Zero(t, q.Len(), "a decision saw 5 already")
	q.AddChange(child, "6") // another's write
	assert.Equal(t, 1, q.Len(), "a newer change is queued")
	q.mu.Lock()
	defer q.mu.Unlock()
	assert.Empty(t, q.written, "the late writer's entry is let go")
}
