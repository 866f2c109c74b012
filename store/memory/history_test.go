package memory

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func revisions(evs []change) []uint64 {
	out := make([]uint64, len(evs))
	for i, ev := range evs {
		out[i] = ev.rev
	}
	return out
}

// The history keeps keep changes for new watches, more while a watcher has
// still to take them (up to maxLag), and gives the room back afterwards.
func TestHistoryKeepsWhatWatchersNeed(t *testing.T) {
	h := newHistory(3, 1000)
	var needed uint64 // lowest revision a watcher has still to take; 0 none
	oldest := func() uint64 { return needed }
	rev := uint64(0)
	write := func(n int) {
		for range n {
			rev++
			h.add(change{rev: rev}, oldest)
		}
	}

	write(10)
	assert.Equal(t, uint64(7), h.compacted, "no watcher: only the newest three")
	assert.Equal(t, []uint64{8, 9, 10}, revisions(h.since(8, 100, nil)))

	needed = 9
	write(500)
	assert.Equal(t, uint64(8), h.compacted, "revision 9 is kept for the watcher")
	assert.Equal(t, []uint64{9, 10, 11}, revisions(h.since(9, 3, nil)), "at most limit, in order")
	grown := len(h.buf)

	needed = 0 // the watcher caught up (or ended)
	write(1)
	assert.Equal(t, rev-3, h.compacted)
	for range 10 {
		write(1)
	}
	assert.Less(t, len(h.buf), grown, "the ring shrinks once nobody lags")
	assert.Equal(t, []uint64{rev - 2, rev - 1, rev}, revisions(h.since(rev-2, 100, nil)))
	assert.Empty(t, h.since(rev+1, 100, nil), "nothing newer than the newest")
}

// A watcher more than maxLag behind does not keep the history from
// forgetting: memory stays bounded when a reader is stuck.
func TestHistoryForgetsPastMaxLag(t *testing.T) {
	h := newHistory(2, 10)
	for rev := uint64(1); rev <= 100; rev++ {
		h.add(change{rev: rev}, func() uint64 { return 1 })
		require.LessOrEqual(t, h.n, 10)
	}
	assert.Equal(t, uint64(90), h.compacted)
	assert.Equal(t, 10, h.n)
}
