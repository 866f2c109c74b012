package serve

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

// TestClaimsReleasedHoldNoEntry: once a Secret claiming a name with
// others is deleted, nothing the index keeps for the name points at its
// entry (its certificate and key would stay in memory with the name's
// other claimants), in whatever order the claimants go.
func TestClaimsReleasedHoldNoEntry(t *testing.T) {
	for _, order := range [][]int{{0, 4, 3, 2}, {0, 3, 2, 1}, {3, 0, 1, 2}, {1, 0, 3, 2}, {0, 1, 2, 3}, {4, 0, 2, 1}} {
		c := NewCache(Options{})
		var entries []*certEntry
		for i := range 5 {
			entries = append(entries, fakeEntry(fmt.Sprint("s", i), time.Now().Add(time.Duration(i)*time.Hour), "a.example"))
		}
		c.update(entries, nil)
		gone := map[*certEntry]bool{}
		for _, i := range order {
			c.update(nil, []meta.Ref{entries[i].ref})
			gone[entries[i]] = true
			more := c.certs.exact.more["a.example"]
			for _, e := range more[:cap(more)] {
				require.False(t, gone[e], "order %v: a deleted Secret's entry is still held", order)
			}
			checkTableCounts(t, &c.certs.exact)
		}
		left := -1
		for i := range entries {
			if !gone[entries[i]] {
				left = i
			}
		}
		require.Same(t, entries[left].cert, mustGet(t, c, "a.example"), "order %v", order)
	}
}
