package memory_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
	"github.com/certflow/certflow/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, clk clock.Clock) store.Store {
		return memory.New(memory.WithClock(clk))
	})
}

func TestConformanceSmallHistory(t *testing.T) {
	storetest.Run(t, func(t *testing.T, clk clock.Clock) store.Store {
		return memory.New(memory.WithClock(clk), memory.WithHistory(8))
	}, storetest.WithHistory(8))
}

func TestWatchFromCompactedRevisionReturnsError(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := memory.New(memory.WithHistory(2))
	w := storetest.NewWidget("ns", "a", nil)
	require.NoError(t, s.Create(ctx, w))
	for range 3 {
		require.NoError(t, s.Update(ctx, w))
	}
	// Revisions 1..4 exist; 3 and 4 are remembered.
	_, err := s.Watch(ctx, 1)
	require.ErrorIs(t, err, store.ErrCompacted)
	ch, err := s.Watch(ctx, 2)
	require.NoError(t, err)
	assert.Equal(t, uint64(3), (<-ch).Revision)
	assert.Equal(t, uint64(4), (<-ch).Revision)
}

func TestWatchAfterCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := memory.New().Watch(ctx, 0)
	assert.ErrorIs(t, err, context.Canceled)
}
