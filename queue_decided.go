package certflow

import "github.com/certflow/certflow/meta"

// pruneDecidedAt is the fewest decisions remembered before decided is
// pruned: below it, pruning would cost more than it gives back.
const pruneDecidedAt = 1024

// Seen records that the watch has delivered every change up to revision
// rev (the Manager calls it after observing each change). A decision
// remembered in decided at a version no later than rev has met its change
// already: the watch delivers in revision order, so no later AddChange
// brings a version it covers, and the entry is only weight.
//
// Without this, decided held an entry for every object decided on since
// the queue last drained: during a burst of 100,000 CA issuances, 2
// objects a certificate, ~165 bytes a certificate in a map the collector
// scans at every cycle, all alive at the burst's end, when the live heap
// peaks (the largest part of what only the burst holds; docs/memory.md,
// "The peak of a burst, marked"). Pruned, it holds the decisions the
// watch has not caught up with.
func (q *workQueue) Seen(rev uint64) {
	for {
		old := q.watched.Load()
		if rev <= old || q.watched.CompareAndSwap(old, rev) {
			return
		}
	}
}

// pruneDecidedLocked drops the decisions the watch has passed, except
// those of objects in flight: Done compares what it saw meanwhile with
// their decision. Forgetting one is always safe, the shortcut's miss
// being a visit (AddChange). A map that had grown past shrinkAfter is made
// anew, since Go maps keep their size once grown. The next prune comes
// once decided has doubled what is left, so each costs as many inserts
// as it walks.
func (q *workQueue) pruneDecidedLocked() {
	watched := q.watched.Load()
	if len(q.decided) > shrinkAfter {
		keep := make(map[meta.Ref]uint64)
		for ref, v := range q.decided {
			if v > watched || q.active[ref] {
				keep[ref] = v
			}
		}
		q.decided = keep
	} else {
		for ref, v := range q.decided {
			if v <= watched && !q.active[ref] {
				delete(q.decided, ref)
			}
		}
	}
	q.pruneAt = 2 * len(q.decided)
}
