package storetest

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/store"
)

// testConcurrentWriters races writers that all read the same
// ResourceVersion: each round exactly one Update wins.
func testConcurrentWriters(ctx context.Context, t *testing.T, h *harness) {
	const writers, rounds = 8, 5
	w := h.create(ctx, t, NewWidget("ns", "counter", map[string]string{"n": "0"}))
	for round := range rounds {
		var (
			read, start sync.WaitGroup
			done        sync.WaitGroup
			mu          sync.Mutex
			wins        int
			conflicts   int
			others      []error
		)
		read.Add(writers)
		start.Add(1)
		for range writers {
			done.Go(func() {
				got := &Widget{}
				err := h.s.Get(ctx, w.Ref(), got)
				read.Done()
				start.Wait() // every writer holds the same resourceVersion now
				if err == nil {
					n, _ := strconv.Atoi(got.Data["n"])
					got.Data["n"] = strconv.Itoa(n + 1)
					err = h.s.Update(ctx, got)
				}
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case errors.Is(err, store.ErrConflict):
					conflicts++
				default:
					others = append(others, err)
				}
			})
		}
		read.Wait()
		start.Done()
		done.Wait()
		require.Empty(t, others, "round %d", round)
		assert.Equal(t, 1, wins, "round %d: exactly one winner", round)
		assert.Equal(t, writers-1, conflicts, "round %d", round)
	}
	assert.Equal(t, strconv.Itoa(rounds), h.get(ctx, t, w).Data["n"])
}
