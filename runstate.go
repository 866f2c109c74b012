package certflow

import "sync"

// runState tells whether Run is running, and wakes whoever waits for that
// to change (WaitReady, which gives up when nothing moves objects on).
type runState struct {
	mu      sync.Mutex
	running bool
	changed chan struct{} // closed and replaced at every change
}

// start marks Run as running; false when it already was.
func (r *runState) start() bool { return r.set(true) }

// stop marks Run as stopped.
func (r *runState) stop() { r.set(false) }

func (r *runState) set(running bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running == running {
		return false
	}
	r.running = running
	if r.changed != nil {
		close(r.changed)
	}
	r.changed = make(chan struct{})
	return true
}

// state returns whether Run is running and a channel closed at the next
// change.
func (r *runState) state() (bool, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.changed == nil {
		r.changed = make(chan struct{})
	}
	return r.running, r.changed
}
