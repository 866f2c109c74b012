package certflow

import (
	"runtime"
	"sync"

	"github.com/certflow/certflow/meta"
)

// notifier wakes callers waiting for an object to change, fed by the
// Manager's own Store watch so that waiting costs nothing per change.
type notifier struct {
	mu      sync.Mutex
	waiters map[meta.Ref]map[chan struct{}]bool
}

func newNotifier() *notifier { return &notifier{waiters: map[meta.Ref]map[chan struct{}]bool{}} }

// subscribe returns a channel that receives after each change of ref, and
// a function to stop.
func (n *notifier) subscribe(ref meta.Ref) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.waiters[ref] == nil {
		n.waiters[ref] = map[chan struct{}]bool{}
	}
	n.waiters[ref][ch] = true
	return ch, func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		delete(n.waiters[ref], ch)
		if len(n.waiters[ref]) == 0 {
			delete(n.waiters, ref)
		}
	}
}

func (n *notifier) notify(ref meta.Ref) { n.signal(ref) }

// notifyWritten is notify for a write a reconcile has just made, from its
// goroutine: a waiter it wakes (WaitReady, for the write that makes the
// Certificate Ready) runs at once instead of once the rest of the visit
// (its settle decision, its events) is done, as workQueue.handOff does
// for the next object's worker.
func (n *notifier) notifyWritten(ref meta.Ref) {
	if n.signal(ref) {
		runtime.Gosched()
	}
}

// signal wakes ref's waiters and reports whether there was one.
func (n *notifier) signal(ref meta.Ref) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	for ch := range n.waiters[ref] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	return len(n.waiters[ref]) > 0
}

// notifyAll wakes every waiter: after a re-list the changes in between were
// never delivered one by one, so each waiter looks at its object again.
func (n *notifier) notifyAll() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, chs := range n.waiters {
		for ch := range chs {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}
}
