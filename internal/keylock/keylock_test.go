package keylock

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A second lock of a key waits for the first to be given back, a lock of
// another key does not, and nothing is kept once all are given back.
func TestLocks_OneHolderPerKey(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var l Locks
	unlockA, err := l.Lock(ctx, "a", nil)
	require.NoError(t, err)
	unlockB, err := l.Lock(ctx, "b", nil)
	require.NoError(t, err, "another key does not wait")

	got := make(chan func(), 1)
	go func() {
		unlock, err := l.Lock(ctx, "a", nil)
		assert.NoError(t, err)
		got <- unlock
	}()
	// The waiter is counted before it waits: see it there.
	require.Eventually(t, func() bool { return l.Wanted("a") == 2 }, 5*time.Second, time.Millisecond)
	select {
	case <-got:
		t.Fatal("a second holder of a")
	default:
	}
	unlockA()
	unlockA2 := <-got
	unlockA2()
	unlockB()
	assert.Zero(t, l.Size(), "locks nobody holds or wants are dropped")
}

// A waiter returns its context's error when the context ends, ErrStopped
// when stop closes, and leaves nothing behind.
func TestLocks_WaiterGivesUp(t *testing.T) {
	var l Locks
	unlock, err := l.Lock(context.Background(), "a", nil)
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = l.Lock(ctx, "a", nil)
	require.ErrorIs(t, err, context.Canceled)

	stop := make(chan struct{})
	close(stop)
	_, err = l.Lock(context.Background(), "a", stop)
	require.ErrorIs(t, err, ErrStopped)

	assert.Equal(t, 1, l.Wanted("a"), "only the holder is left")
	unlock()
	assert.Zero(t, l.Size())
}
