package certflow

import "github.com/certflow/certflow/meta"

// shrinkLocked gives back, as a burst drains, what its queue grew to: the
// items' array (taken from the front, it is only let go when an append
// outgrows it) once a quarter of it is in use, and the queued set (Go maps
// keep their size once grown) once it holds a quarter of its most. 100,000
// Certificates applied at once queue ~145 bytes each, which the queue held
// until it drained: to the end of the burst, when the live heap peaks.
// Each copy moves what is left, at most a quarter of what was taken since
// the last, so a reference costs O(1) copies.
func (q *workQueue) shrinkLocked() {
	if c := cap(q.items) + q.itemsTaken; c > shrinkAfter && len(q.items) < c/4 {
		q.items = append(make([]meta.Ref, 0, 2*len(q.items)), q.items...)
		q.itemsTaken = 0
	}
	if q.queuedHigh > shrinkAfter && len(q.queued) < q.queuedHigh/4 {
		queued := make(map[meta.Ref]bool, len(q.queued))
		for ref := range q.queued {
			queued[ref] = true
		}
		q.queued, q.queuedHigh = queued, len(queued)
	}
}
