package certflow

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// awaitParked yields until n workers wait in q.Get.
func awaitParked(t *testing.T, q *workQueue, n int32) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for q.parked.Load() < n {
		require.True(t, time.Now().Before(deadline), "workers never parked")
		runtime.Gosched()
	}
}

// yieldAttempts is how many times a test that a yield lets another
// goroutine run first tries it: on one processor, one schedule in 61 takes
// the global run queue first (runtime.findRunnable's fairness check), and
// runtime.Gosched puts the caller there, so a single yield is overtaken by
// its caller ~1.6% of the time. Without the yield the other goroutine
// never runs first, so every attempt fails then.
const yieldAttempts = 5

// anyAttempt reports whether one of yieldAttempts runs of attempt succeeds.
func anyAttempt(attempt func() bool) bool {
	for range yieldAttempts {
		if attempt() {
			return true
		}
	}
	return false
}

// On one processor the worker woken by Add can only run once the caller
// yields: handOff must let it take the reference before the caller goes on.
func TestWorkQueue_HandOffRunsTheParkedWorkerFirst(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	handedOff := func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		q := newWorkQueue()
		var took atomic.Bool
		done := make(chan struct{})
		go func() {
			defer close(done)
			if got, ok := q.Get(ctx); ok && got == ref("a") {
				took.Store(true)
			}
		}()
		awaitParked(t, q, 1)

		q.Add(ref("a"))
		q.handOff()
		first := took.Load()
		<-done
		assert.True(t, took.Load(), "the parked worker took the reference")
		assert.Zero(t, q.parked.Load())
		return first
	}
	if !anyAttempt(handedOff) {
		t.Errorf("in %d attempts the parked worker never took the reference before the caller went on", yieldAttempts)
	}
}

// With no worker parked (all busy, as in a burst) handOff yields nothing:
// the caller goes on before anything else readied on its processor.
func TestWorkQueue_HandOffWithoutParkedWorkerKeepsGoing(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	q := newWorkQueue()
	var ran atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		ran.Store(true)
	}()
	q.Add(ref("a"))
	q.handOff()
	assert.False(t, ran.Load(), "handOff yielded though no worker waited")
	<-done
}

// AddNew and AddWritten say whether the reference was queued by the call:
// only then is there a worker to hand off to.
func TestWorkQueue_AddReportsWhetherItQueued(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	q := newWorkQueue()
	assert.True(t, q.AddNew(ref("a")))
	assert.False(t, q.AddNew(ref("a")), "queued already")
	got, ok := q.Get(ctx)
	require.True(t, ok)
	require.Equal(t, ref("a"), got)
	assert.False(t, q.AddNew(ref("a")), "in flight: queued again only when it ends")
	assert.False(t, q.AddWritten(ref("a"), "7"), "in flight")
	q.Decided(ref("a"), "7")
	q.Done(ref("a"))
	got, ok = q.Get(ctx)
	require.True(t, ok, "the Add while in flight queued it again")
	q.Done(got)
	assert.False(t, q.AddWritten(ref("a"), "7"), "decided on already")
	assert.True(t, q.AddWritten(ref("a"), "8"))
	assert.True(t, q.AddWritten(ref("b"), "x"), "a version that is no number is queued")
}
