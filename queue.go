package certflow

import (
	"context"
	"sync"

	"github.com/certflow/certflow/meta"
)

// workQueue hands out object references to workers with at most one
// reconcile in flight per reference. A reference added while it is being
// reconciled is queued again when that reconcile ends, so no change is lost
// and no two workers ever race on one object.
type workQueue struct {
	mu     sync.Mutex
	items  []meta.Ref
	queued map[meta.Ref]bool
	active map[meta.Ref]bool
	dirty  map[meta.Ref]bool
	wake   chan struct{}
	idleCh chan struct{} // closed when the queue becomes empty with nothing active
	// peak is the most references queued at once since the maps were made:
	// Go maps keep their size once grown, so the maps are made anew when a
	// burst (100k Certificates applied at once) has drained.
	peak int
}

// shrinkAfter is the peak past which a drained queue makes its maps anew.
const shrinkAfter = 4096

func newWorkQueue() *workQueue {
	return &workQueue{
		queued: map[meta.Ref]bool{},
		active: map[meta.Ref]bool{},
		dirty:  map[meta.Ref]bool{},
		wake:   make(chan struct{}, 1),
	}
}

// Add queues ref unless it is already queued.
func (q *workQueue) Add(ref meta.Ref) {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.active[ref]:
		q.dirty[ref] = true
	case !q.queued[ref]:
		q.queued[ref] = true
		q.items = append(q.items, ref)
		q.peak = max(q.peak, len(q.queued))
		q.signalLocked()
	}
}

func (q *workQueue) signalLocked() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Get blocks until a reference is available or ctx is done.
func (q *workQueue) Get(ctx context.Context) (meta.Ref, bool) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			ref := q.items[0]
			q.items[0] = meta.Ref{}
			q.items = q.items[1:]
			delete(q.queued, ref)
			q.active[ref] = true
			if len(q.items) > 0 {
				q.signalLocked() // let another worker take the next one
			}
			q.mu.Unlock()
			return ref, true
		}
		q.mu.Unlock()
		select {
		case <-ctx.Done():
			return meta.Ref{}, false
		case <-q.wake:
		}
	}
}

// Done ends the reconcile of ref and re-queues it if it changed meanwhile.
func (q *workQueue) Done(ref meta.Ref) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.active, ref)
	if q.dirty[ref] {
		delete(q.dirty, ref)
		q.queued[ref] = true
		q.items = append(q.items, ref)
		q.signalLocked()
	}
	if len(q.items) == 0 && len(q.active) == 0 {
		q.drainedLocked()
	}
}

// drainedLocked runs when nothing is queued or active: it wakes idle's
// waiters and gives back what a burst grew.
func (q *workQueue) drainedLocked() {
	if q.idleCh != nil {
		close(q.idleCh)
		q.idleCh = nil
	}
	if q.peak > shrinkAfter {
		q.items = nil
		q.queued, q.active, q.dirty = map[meta.Ref]bool{}, map[meta.Ref]bool{}, map[meta.Ref]bool{}
		q.peak = 0
	}
}

// idle returns a channel that is closed once nothing is queued or running
// (already closed if that holds now), so a test can await quiescence.
func (q *workQueue) idle() <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 && len(q.active) == 0 {
		ch := make(chan struct{})
		close(ch)
		return ch
	}
	if q.idleCh == nil {
		q.idleCh = make(chan struct{})
	}
	return q.idleCh
}

// depth returns how many references wait and how many run.
func (q *workQueue) depth() (waiting, inFlight int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items), len(q.active)
}

// Len returns how many references wait or run.
func (q *workQueue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) + len(q.active)
}
