package certflow

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
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
	// decided is, per object, the highest ResourceVersion a decision was
	// made on and executed without error; changed is, per object in
	// flight, the highest version of its own changes seen meanwhile. A
	// change of an object to a version some decision has already seen
	// needs no visit: that decision is the visit (see AddChange).
	decided map[meta.Ref]uint64
	changed map[meta.Ref]uint64
	// written is, per object queued by its writer (AddWritten), the
	// version written: a visit queued after that write reads it or a later
	// one, so the watch's change of it asks for none of its own, whatever
	// that visit's outcome (a failed one is retried after its backoff).
	written map[meta.Ref]uint64
	wake    chan struct{}
	// parked counts the workers waiting in Get for a reference (handOff).
	parked atomic.Int32
	idleCh chan struct{} // closed when the queue becomes empty with nothing active
	// peak is the most references queued at once since the maps were made:
	// Go maps keep their size once grown, so the maps are made anew when a
	// burst (100k Certificates applied at once) has drained.
	peak int
	// watched and pruneAt let decided forget what the watch has passed
	// (queue_decided.go).
	watched atomic.Uint64
	pruneAt int
	// queuedHigh is the most references queued at once since queued was
	// made: it is made anew smaller as a burst drains (queue_shrink.go).
	queuedHigh int
	// itemsTaken is how many references Get took from the front of the
	// items' array since it was made: cap(items) counts only what is left
	// after them, the array holds both (queue_shrink.go).
	itemsTaken int
}

// shrinkAfter is the peak past which a drained queue makes its maps anew.
const shrinkAfter = 4096

func newWorkQueue() *workQueue {
	return &workQueue{
		queued:  map[meta.Ref]bool{},
		active:  map[meta.Ref]bool{},
		dirty:   map[meta.Ref]bool{},
		decided: map[meta.Ref]uint64{},
		changed: map[meta.Ref]uint64{},
		written: map[meta.Ref]uint64{},
		wake:    make(chan struct{}, 1),
	}
}

// AddChange queues ref because it was stored at ResourceVersion rv, unless
// a decision was already made on rv or a later version: then the visit the
// change asks for has happened (a reconciler writes, and then decides on
// what it wrote in the same visit or the next one the write's own outcome
// queued). A change seen while ref is in flight re-queues it when that
// reconcile ends only if no decision of it saw the change. A version that
// is not a number (a Store that writes no revisions) is always queued.
func (q *workQueue) AddChange(ref meta.Ref, rv string) {
	v, err := strconv.ParseUint(rv, 10, 64)
	if err != nil {
		q.Add(ref)
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if w, ok := q.written[ref]; ok && w >= v {
		if w == v {
			delete(q.written, ref) // the change it stood for has come
		}
		return
	} else if ok {
		// The watch delivered w before its writer queued it: w's change
		// has come and gone, and nothing later could match it.
		delete(q.written, ref)
	}
	q.addChangeLocked(ref, v)
}

func (q *workQueue) addChangeLocked(ref meta.Ref, v uint64) bool {
	switch {
	case q.decided[ref] >= v:
	case q.active[ref]:
		q.changed[ref] = max(q.changed[ref], v)
	case !q.queued[ref]:
		q.queueLocked(ref)
		return true
	}
	return false
}

// AddWritten queues ref, just stored at ResourceVersion rv by this
// Manager, without waiting for the watch to deliver the change; the watch's
// AddChange of rv then queues nothing more. It reports whether ref was
// queued now (not in flight, decided on or queued already).
func (q *workQueue) AddWritten(ref meta.Ref, rv string) bool {
	v, err := strconv.ParseUint(rv, 10, 64)
	if err != nil {
		return q.AddNew(ref)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	queued := q.addChangeLocked(ref, v)
	q.written[ref] = max(q.written[ref], v)
	return queued
}

// Decided records that a decision on ref at ResourceVersion rv was
// executed without error.
func (q *workQueue) Decided(ref meta.Ref, rv string) {
	v, err := strconv.ParseUint(rv, 10, 64)
	if err != nil {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.decided[ref] = max(q.decided[ref], v)
	if len(q.decided) >= max(q.pruneAt, pruneDecidedAt) {
		q.pruneDecidedLocked()
	}
}

// Forget drops the versions the queue remembers of a deleted object; a
// visit of it queued or in flight stays.
func (q *workQueue) Forget(ref meta.Ref) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.decided, ref)
	delete(q.written, ref)
}

// RedoIfActive makes a reconcile of ref in flight run once more when it
// ends, and queues nothing otherwise: an object deleted while a visit of
// it runs is visited again, so that visit finds it gone and clears what
// the one in flight left behind (a timer, a retry count).
func (q *workQueue) RedoIfActive(ref meta.Ref) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.active[ref] {
		q.dirty[ref] = true
	}
}

// Add queues ref unless it is already queued.
func (q *workQueue) Add(ref meta.Ref) { q.AddNew(ref) }

// AddNew is Add, reporting whether ref was queued now (one in flight is
// queued again when it ends, one queued already stays where it is).
func (q *workQueue) AddNew(ref meta.Ref) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.active[ref]:
		q.dirty[ref] = true
	case !q.queued[ref]:
		q.queueLocked(ref)
		return true
	}
	return false
}

func (q *workQueue) queueLocked(ref meta.Ref) {
	q.queued[ref] = true
	before := cap(q.items)
	q.items = append(q.items, ref)
	if cap(q.items) != before {
		q.itemsTaken = 0 // a new array
	}
	q.peak = max(q.peak, len(q.queued))
	q.queuedHigh = max(q.queuedHigh, len(q.queued))
	q.signalLocked()
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
			q.itemsTaken++
			delete(q.queued, ref)
			q.active[ref] = true
			q.shrinkLocked()
			if len(q.items) > 0 {
				q.signalLocked() // let another worker take the next one
			}
			q.mu.Unlock()
			return ref, true
		}
		q.parked.Add(1)
		q.mu.Unlock()
		select {
		case <-ctx.Done():
			q.parked.Add(-1)
			return meta.Ref{}, false
		case <-q.wake:
		}
		q.parked.Add(-1)
	}
}

// Done ends the reconcile of ref and re-queues it if it changed meanwhile.
func (q *workQueue) Done(ref meta.Ref) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.active, ref)
	changed, ok := q.changed[ref]
	delete(q.changed, ref)
	if q.dirty[ref] || (ok && q.decided[ref] < changed) {
		delete(q.dirty, ref)
		q.queueLocked(ref)
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
		q.changed = map[meta.Ref]uint64{}
		q.peak = 0
		q.queuedHigh = 0
	}
	if len(q.decided) > shrinkAfter {
		// Only a shortcut: forgetting it costs a visit per late change.
		q.decided = map[meta.Ref]uint64{}
		q.pruneAt = 0 // the next burst prunes from pruneDecidedAt, not this one's size
	}
	if len(q.written) > shrinkAfter {
		q.written = map[meta.Ref]uint64{} // the same
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

// decisionsTo returns an Observer telling q of every decision executed
// without error (AddChange), and then next, if set.
func decisionsTo(q *workQueue, next reconcile.Observer) reconcile.Observer {
	return func(kind meta.Kind, snapshot any, p *reconcile.Plan) func(time.Time, error) {
		// The version decided on: Execute moves p.Object to what it writes.
		ref, rv := meta.RefOf(p.Object), p.Object.GetMeta().ResourceVersion
		var then func(time.Time, error)
		if next != nil {
			then = next(kind, snapshot, p)
		}
		return func(at time.Time, err error) {
			if err == nil {
				q.Decided(ref, rv)
			}
			if then != nil {
				then(at, err)
			}
		}
	}
}
