package certflow

import "runtime"

// handOff lets a worker parked in Get take what the caller has just
// queued before the caller goes on: called by a reconcile that queued the
// next object of an issuance (the child it created, the owner its write
// woke) in the middle of its visit. The Go scheduler readies the woken
// worker on the caller's processor, behind the caller, so it would
// otherwise start only once the caller blocks or is preempted (the rest of
// its visit: the decision on what it wrote, its events), unless another
// processor is idle to steal it. Yielding swaps the two instead: the woken
// worker runs at once, the caller continues as soon as a processor is
// free. When no worker is parked (all busy, as in a burst) nothing is
// yielded: the reference waits for a worker either way.
func (q *workQueue) handOff() {
	if q.parked.Load() > 0 {
		runtime.Gosched()
	}
}
