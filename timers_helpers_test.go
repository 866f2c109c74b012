package certflow

import (
	"context"
	"testing"
	"time"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/meta"
)

// signalled reports whether ch holds a signal, taking it: a wake that is
// pending or not, without waiting for one.
func signalled(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// heapRun is a timer heap's run on a Fake clock, firing into fired, for
// as long as ctx (which also bounds each wait below, so a failure ends
// the test instead of hanging it).
type heapRun struct {
	ctx   context.Context
	clk   *clock.Fake
	th    *timerHeap
	fired chan meta.Ref
}

// startHeapRun starts run on a heap of its own, on a Fake clock at start,
// with room in fired for buffer visits; it stops when the test ends.
func startHeapRun(t *testing.T, start time.Time, buffer int) *heapRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // bounds a failure only
	h := &heapRun{ctx: ctx, clk: clock.NewFake(start), th: newTimerHeap(), fired: make(chan meta.Ref, buffer)}
	done := make(chan struct{})
	go func() { defer close(done); h.th.run(ctx, h.clk, func(r meta.Ref) { h.fired <- r }) }()
	t.Cleanup(func() { cancel(); <-done })
	return h
}

// awaitArmed returns once run's clock timer is armed for at.
func (h *heapRun) awaitArmed(t *testing.T, at time.Time) {
	t.Helper()
	for {
		ch := h.clk.Changed()
		if next, ok := h.clk.NextDeadline(); ok && next.Equal(at) {
			return
		}
		select {
		case <-ch:
		case <-h.ctx.Done():
			t.Fatalf("the timer was never armed for %v", at)
		}
	}
}

// next returns the next visit fired.
func (h *heapRun) next(t *testing.T) meta.Ref {
	t.Helper()
	select {
	case r := <-h.fired:
		return r
	case <-h.ctx.Done():
		t.Fatal("nothing fired")
		return meta.Ref{}
	}
}
