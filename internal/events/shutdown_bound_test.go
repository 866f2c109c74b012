package events

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The bound fires when the writes it bounds outlast it.
func TestCancelAfterEnd_CancelsOnceTheBoundPasses(t *testing.T) {
	ctx, end := context.WithCancel(context.Background())
	cancelled := make(chan struct{})
	stop := cancelAfterEnd(ctx, time.Millisecond, func() { close(cancelled) })
	defer stop()
	end()
	<-cancelled
}

// Before ctx ends there is nothing to bound, however long Run lasts.
func TestCancelAfterEnd_NothingBeforeCtxEnds(t *testing.T) {
	ctx, end := context.WithCancel(context.Background())
	defer end()
	stop := cancelAfterEnd(ctx, time.Nanosecond, func() { t.Error("cancelled while ctx was alive") })
	stop()
	assert.Zero(t, boundWaiters(), "a wait outlived stop")
}

// A Run that ends within the bound leaves nothing waiting behind it: its
// Writer is not held for the rest of the bound (it was, by a time.AfterFunc
// that nothing stopped).
func TestCancelAfterEnd_StopLeavesNothingBehind(t *testing.T) {
	ctx, end := context.WithCancel(context.Background())
	stop := cancelAfterEnd(ctx, time.Hour, func() { t.Error("cancelled after stop") })
	end()
	stop()
	assert.Zero(t, boundWaiters(), "a wait outlived stop")
}

// boundWaiters counts the goroutines still waiting out a cancelAfterEnd
// bound: blocked in its select. One that has just closed waited may still
// be on its way out, running; it waits for nothing and holds nothing.
func boundWaiters() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		header, _, _ := strings.Cut(g, "\n")
		if strings.Contains(header, "[select") && strings.Contains(g, "events.cancelAfterEnd.func1") {
			n++
		}
	}
	return n
}
