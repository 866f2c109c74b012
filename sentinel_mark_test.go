package certflow

import "github.com/certflow/certflow/meta"

// markDelivered writes a sentinel with write, which returns the version it
// wrote, and waits until n was told of that version or a newer one; it
// returns that version, or false once done is closed. Only the delivery of
// that version counts, not any wake of the sentinel: a Manager's start
// wakes every waiter once it has listed (notifyAll), so a mark made then
// would return before its sentinel is delivered, and the watch, when it
// lags behind the workers, delivers that older sentinel while the next
// mark waits. Taken for this one, it ended a settle with changes written
// before this sentinel still undelivered, their visits never queued
// (TestRestartNoticesASecretChangedWhileDown, 1 run in ~40 of the package
// under load). A wake that brings no version at all is the start's: its
// list may have held the sentinel, which the watch then never delivers, so
// it is written again.
func markDelivered(n *notifier, ref meta.Ref, write func() uint64, done <-chan struct{}) (uint64, bool) {
	observed, delivered, stop := n.subscribeDelivered(ref)
	defer stop()
	for {
		rev := write()
		for before := delivered(); ; {
			select {
			case <-observed:
			case <-done:
				return 0, false
			}
			now := delivered()
			if now >= rev {
				return rev, true
			}
			if now == before {
				break // the start's wake: write it again
			}
			before = now // an older sentinel, delivered late
		}
	}
}

// subscribeDelivered is subscribe, with delivered returning the newest
// version of ref the Manager was told of since (by its watch, or by a write
// of its own), 0 for none: a wake for an older version, or for none (a
// re-list's notifyAll), is told from the delivery of the version awaited.
func (n *notifier) subscribeDelivered(ref meta.Ref) (changed <-chan struct{}, delivered func() uint64, stop func()) {
	changed, stop = n.subscribe(ref)
	n.mu.Lock()
	defer n.mu.Unlock()
	var mine *waiter
	for w := range n.waiters[ref] {
		if (<-chan struct{})(w.ch) == changed {
			mine = w
		}
	}
	return changed, func() uint64 {
		n.mu.Lock()
		defer n.mu.Unlock()
		return mine.latest
	}, stop
}
