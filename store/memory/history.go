package memory

import "github.com/certflow/certflow/store"

// history holds the most recent changes, oldest first, in a ring that grows
// and shrinks. Revisions are consecutive, so the change at revision r sits
// r-compacted-1 places after the oldest one, and everything after compacted
// is held.
//
// It keeps at least the keep newest changes (for a Watch that resumes from
// an older revision), and beyond that every change a live watcher has still
// to take, as long as that watcher is at most maxLag changes behind: a
// watcher that is merely slow catches up from here and loses nothing, one
// further behind finds its next change compacted. Writers never wait.
//
// A change holds the entry it left, not the metadata its watch event
// carries: entries never change, so a watcher builds that when it takes
// the change. The metadata built at each write cost ~1 KB a change (~13
// MB for the 10,000 kept by default, and as many KB as changes a lagging
// watcher has still to take during a burst); an entry the store still
// holds costs the history nothing more, and a replaced one its slab.
type history struct {
	keep, maxLag int
	buf          []change // ring; len(buf) is its capacity
	head, n      int      // index of the oldest change, number held
	compacted    uint64   // revisions <= compacted are forgotten
}

// change is one change the history holds.
type change struct {
	typ store.EventType
	rev uint64
	e   *entry
}

// event is the watch event of c, whose metadata shares nothing with the
// store (watchers keep its strings).
func (c change) event() store.WatchEvent {
	ref := c.e.ref()
	return store.WatchEvent{Type: c.typ, Ref: ref, Revision: c.rev, Meta: c.e.ownedMeta(ref)}
}

// minRing is the smallest ring allocated, so a small history does not
// reallocate on every write.
const minRing = 64

func newHistory(keep, maxLag int) history {
	return history{keep: keep, maxLag: max(keep, maxLag)}
}

// add appends ev, whose revision follows the newest held, then forgets the
// oldest changes nobody needs: those more than maxLag behind, and past keep
// those every live watcher has taken. oldestNeeded returns the lowest
// revision a watcher has still to take (ignoring watchers already behind
// compacted), or 0 when none has.
func (h *history) add(ev change, oldestNeeded func() uint64) {
	if h.n == len(h.buf) {
		h.resize(max(minRing, 2*len(h.buf)))
	}
	h.buf[(h.head+h.n)%len(h.buf)] = ev
	h.n++
	for h.n > h.maxLag {
		h.dropOldest()
	}
	h.forget(oldestNeeded)
}

// forget drops the oldest changes beyond keep that every live watcher has
// taken. add calls it, and so does a watcher taking changes: what the last
// watcher to take them took is forgotten then, not only at the next write.
func (h *history) forget(oldestNeeded func() uint64) {
	if h.n > h.keep {
		needed := oldestNeeded()
		for h.n > h.keep && (needed == 0 || h.compacted+1 < needed) {
			h.dropOldest()
		}
	}
	if len(h.buf) > minRing && h.n < len(h.buf)/4 {
		h.resize(len(h.buf) / 2)
	}
}

func (h *history) dropOldest() {
	h.buf[h.head] = change{} // let the entry go
	h.head = (h.head + 1) % len(h.buf)
	h.n--
	h.compacted++
}

// resize moves the held changes into a ring of size size (>= h.n).
func (h *history) resize(size int) {
	buf := make([]change, size)
	for i := range h.n {
		buf[i] = h.buf[(h.head+i)%len(h.buf)]
	}
	h.buf, h.head = buf, 0
}

// since appends to out the held changes with a revision of at least from,
// at most limit of them, in order. The caller checks from > h.compacted.
func (h *history) since(from uint64, limit int, out []change) []change {
	skip := from - h.compacted - 1
	if skip >= uint64(h.n) {
		return out
	}
	for i := int(skip); i < h.n && limit > 0; i++ {
		out = append(out, h.buf[(h.head+i)%len(h.buf)])
		limit--
	}
	return out
}
