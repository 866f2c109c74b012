package acmetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAuthzLocks_OneHolderPerAuthorization: a second lock of one
// authorization waits for the first to be given back, a lock of another
// does not, and nothing is kept once all are given back.
func TestAuthzLocks_OneHolderPerAuthorization(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var l authzLocks
	never := make(chan struct{})
	unlockA, err := l.lock(ctx, never, "a")
	require.NoError(t, err)
	unlockB, err := l.lock(ctx, never, "b")
	require.NoError(t, err, "another authorization does not wait")

	got := make(chan func(), 1)
	go func() {
		unlock, err := l.lock(ctx, never, "a")
		assert.NoError(t, err)
		got <- unlock
	}()
	// The waiter is counted before it waits: see it there.
	require.Eventually(t, func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.m["a"].refs == 2
	}, 5*time.Second, time.Millisecond)
	select {
	case <-got:
		t.Fatal("a second holder of a")
	default:
	}
	unlockA()
	unlockA2 := <-got
	unlockA2()
	unlockB()
	assert.Zero(t, l.size(), "locks nobody holds or wants are dropped")
}

// TestAuthzLocks_WaiterGivesUp: a waiter returns its context's error when
// the context ends, errClosing when the Server closes, and leaves nothing
// behind.
func TestAuthzLocks_WaiterGivesUp(t *testing.T) {
	var l authzLocks
	never := make(chan struct{})
	unlock, err := l.lock(context.Background(), never, "a")
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = l.lock(ctx, never, "a")
	require.ErrorIs(t, err, context.Canceled)

	closing := make(chan struct{})
	close(closing)
	_, err = l.lock(context.Background(), closing, "a")
	require.ErrorIs(t, err, errClosing)

	unlock()
	assert.Zero(t, l.size())
}
