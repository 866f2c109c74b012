package events

import (
	"context"
	"time"
)

// cancelAfterEnd calls cancel d after ctx ends, so the writes Run makes
// while it shuts down are bounded by wall time even when its clock is a
// fake one. The returned stop ends that wait and returns once it has
// ended: a Run that finished its last writes in time leaves no timer or
// goroutine behind holding the Writer (a process that starts and stops
// Managers, as tests do, would otherwise keep each one for d).
func cancelAfterEnd(ctx context.Context, d time.Duration, cancel context.CancelFunc) (stop func()) {
	returned := make(chan struct{})
	waited := make(chan struct{})
	stopAfterFunc := context.AfterFunc(ctx, func() {
		defer close(waited)
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			cancel()
		case <-returned:
		}
	})
	return func() {
		close(returned)
		if !stopAfterFunc() { // it started: wait for it to see returned
			<-waited
		}
	}
}
