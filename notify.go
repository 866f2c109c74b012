package certflow

import (
	"runtime"
	"strconv"
	"sync"

	"github.com/certflow/certflow/meta"
)

// notifier wakes callers waiting for an object to change, fed by the
// Manager's own Store watch so that waiting costs nothing per change.
//
// A change reaches it twice, when this Manager made it: from the write
// (notifyWritten) and from the watch delivering it (notify). A waiter that
// says which version it last read (saw) is not woken again for that
// version, so WaitReady reads each version once, not twice (1.4 Store
// reads of the Certificate per issuance went to reading again what it had
// just read).
type notifier struct {
	mu      sync.Mutex
	waiters map[meta.Ref]map[*waiter]bool
}

// waiter is one subscription; seen, guarded by the notifier's mu, is the
// version its caller last read ("" for none, or gone), and woke the
// version every wake pending on ch was for (wokeAll when they were for
// several, or for a re-list).
type waiter struct {
	ch   chan struct{}
	seen string
	woke string
	// ends, if set, tells from an object this Manager has just written
	// whether that version can end the wait: one that cannot is taken as
	// read (seen) instead of waking the waiter to read it. WaitReady is
	// otherwise woken, and reads the Certificate, for each write of an
	// issuance (Issuing set, then Ready).
	ends func(meta.Object) bool
	// answers, if set, tells from an object this Manager has just written
	// whether that version alone answers the wait (WaitReady: Ready), so
	// the waiter need not read it back; answer is the last such object.
	answers func(meta.Object) bool
	answer  writtenAnswer
	// latest is the newest version of the object this waiter knows of
	// (written, delivered or read): two writers of one object (two
	// workers, a reconcile and an API call) report their writes in the
	// order they get to, not the Store's, so a write older than latest
	// answers nothing and leaves the answer as it is.
	latest uint64
}

// writtenAnswer is an object this Manager wrote that answered a wait, by
// what tells it from later versions of the object: its UID (a namesake
// made later has another) and its generation (a spec changed since has a
// higher one).
type writtenAnswer struct {
	uid        string
	generation int64
	version    uint64
	ok         bool
}

// orderedVersion is a ResourceVersion as a number, ordered as the Stores
// number their changes (see package store), or 0 when it is not one: an
// unordered version answers as if it were the latest.
func orderedVersion(rv string) uint64 {
	v, err := strconv.ParseUint(rv, 10, 64)
	if err != nil {
		return 0
	}
	return v
}

// newer notes v as known to w, and reports whether v is older than a
// version w knew of.
func (w *waiter) newer(v uint64) (stale bool) {
	if v == 0 {
		return false
	}
	if v < w.latest {
		return true
	}
	w.latest = v
	return false
}

// wokeAll marks wakes no version read answers: no version is empty but
// for a deletion, and none holds a NUL.
const wokeAll = "\x00all"

func newNotifier() *notifier { return &notifier{waiters: map[meta.Ref]map[*waiter]bool{}} }

// subscribe returns a channel that receives after each change of ref, and
// a function to stop.
func (n *notifier) subscribe(ref meta.Ref) (<-chan struct{}, func()) {
	changed, _, stop := n.subscribeSeen(ref)
	return changed, stop
}

// subscribeSeen is subscribe, with saw to record the version of ref the
// caller has read: a change to that very version wakes it no more (it
// read it), any other change and every deletion still do.
func (n *notifier) subscribeSeen(ref meta.Ref) (changed <-chan struct{}, saw func(version string), stop func()) {
	return n.subscribeUntil(ref, nil)
}

// subscribeUntil is subscribeSeen, with ends (if not nil) to tell from an
// object written by this Manager whether it can end the wait (waiter.ends).
// ends runs under the notifier's lock: it must only look at the object.
func (n *notifier) subscribeUntil(ref meta.Ref, ends func(meta.Object) bool) (changed <-chan struct{}, saw func(version string), stop func()) {
	changed, saw, _, stop = n.subscribeAnswered(ref, ends, nil)
	return changed, saw, stop
}

// subscribeAnswered is subscribeUntil, with answers (if not nil) to tell
// from an object written by this Manager whether it answers the wait by
// itself (waiter.answers). answered reports whether such an object was
// written since, of uid and of generation or later: what the caller read
// last, so a write older than that read (a spec changed since, the object
// made again) answers nothing. The caller asks before each read, the first
// too: an answer that does not answer then is forgotten, as the read that
// follows shows the Store at that write or later (a renewal begun since
// at the same spec, which uid and generation do not tell from it).
// answers runs under the notifier's lock.
func (n *notifier) subscribeAnswered(ref meta.Ref, ends, answers func(meta.Object) bool) (changed <-chan struct{}, saw func(version string), answered func(uid string, generation int64) bool, stop func()) {
	w := &waiter{ch: make(chan struct{}, 1), ends: ends, answers: answers}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.waiters[ref] == nil {
		n.waiters[ref] = map[*waiter]bool{}
	}
	n.waiters[ref][w] = true
	saw = func(version string) {
		n.mu.Lock()
		defer n.mu.Unlock()
		w.seen = version
		w.newer(orderedVersion(version))
		if w.woke == version {
			// The wake pending, if any, is for what was just read: the
			// change it announces arrived before the read that saw it.
			select {
			case <-w.ch:
			default:
			}
		}
	}
	answered = func(uid string, generation int64) bool {
		n.mu.Lock()
		defer n.mu.Unlock()
		a := w.answer
		// An answer older than a version since delivered or read is not
		// what the Store holds.
		if a.ok && uid != "" && a.uid == uid && a.generation >= generation &&
			(a.version == 0 || a.version >= w.latest) {
			return true
		}
		w.answer = writtenAnswer{}
		return false
	}
	return w.ch, saw, answered, func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		delete(n.waiters[ref], w)
		if len(n.waiters[ref]) == 0 {
			delete(n.waiters, ref)
		}
	}
}

// notify wakes ref's waiters for a change the watch delivered: to version,
// or "" for a deletion (whose event carries the version it removed, which
// a waiter may have read).
func (n *notifier) notify(ref meta.Ref, version string) { n.signal(ref, version, nil) }

// notifyWritten is notify for a write a reconcile has just made, from its
// goroutine: a waiter it wakes (WaitReady, for the write that makes the
// Certificate Ready) runs at once instead of once the rest of the visit
// (its settle decision, its events) is done, as workQueue.handOff does
// for the next object's worker.
func (n *notifier) notifyWritten(obj meta.Object) {
	if n.signal(meta.RefOf(obj), obj.GetMeta().ResourceVersion, obj) {
		runtime.Gosched()
	}
}

// signal wakes ref's waiters but those that read version already, or that
// written (the object at version, if known) cannot end the wait of, and
// reports whether it woke one.
func (n *notifier) signal(ref meta.Ref, version string, written meta.Object) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	woke := false
	v := orderedVersion(version)
	for w := range n.waiters[ref] {
		stale := w.newer(v)
		if version != "" && w.seen == version {
			continue
		}
		if written != nil && w.answers != nil && !stale {
			if w.answers(written) {
				md := written.GetMeta()
				w.answer = writtenAnswer{uid: md.UID, generation: md.Generation, version: v, ok: true}
			} else {
				// Superseded: the Store holds this write now, and a read
				// that shows it must not be answered by the one before.
				w.answer = writtenAnswer{}
			}
		}
		if written != nil && w.ends != nil && !w.ends(written) {
			// As if read: the watch's delivery of it wakes nobody either.
			w.seen = version
			continue
		}
		woke = true
		select {
		case w.ch <- struct{}{}:
			w.woke = version
		default:
			// One wake stands for both: the watch may deliver a version
			// after the write of a later one woke the waiter.
			if w.woke != version {
				w.woke = wokeAll
			}
		}
	}
	return woke
}

// notifyAll wakes every waiter: after a re-list the changes in between were
// never delivered one by one, so each waiter looks at its object again.
func (n *notifier) notifyAll() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, ws := range n.waiters {
		for w := range ws {
			w.woke = wokeAll
			select {
			case w.ch <- struct{}{}:
			default:
			}
		}
	}
}
