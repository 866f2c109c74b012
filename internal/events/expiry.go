package events

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"strconv"
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// expiries is when each Event a writer knows of passes MaxAge: the Events
// it wrote, and those its last full sweep found. Run deletes each when it
// is due, by name and version, so expiry costs one conditional Delete per
// Event and never a List of every Event (which at 100,000 certificates
// decodes ~440,000 of them to delete the few that are due).
//
// An Event written again (its count bumped) is queued again; the older
// entry is recognised as stale by its version when it comes due and costs
// nothing. Guarded by Writer.mu.
//
// It holds ~5 entries per certificate for an hour after issuance, so an
// entry is kept small: 24 bytes in the queue without a pointer (the place
// of the Event's name in a chunk of names, its namespace as an index into
// the few namespaces queued, its version as a number) and 16 in latest,
// where a Ref and a version string cost 72 and 24 plus the version's
// allocation (BenchmarkStoredEventHeap's queue-B/event).
type expiries struct {
	queue dueHeap
	// names are the queued entries' names (due.name places them).
	names nameArena
	// latest is the version code of each queued Event this writer last
	// knew, keyed by a hash of its Ref (8 bytes rather than ~60; a
	// collision only makes an Event's entry look stale, and the Event wait
	// for the next full sweep).
	latest map[uint64]uint64
	seed   maphash.Seed
	// spaces are the namespaces of the queued Events, which due.ns
	// indexes, each with how many entries are queued in it. An index whose
	// last entry leaves is freed for the next new namespace: under
	// continuous issuance the queue never drains, and would otherwise
	// remember every namespace it ever saw.
	spaces     []space
	spaceIndex map[string]uint32
	freeSpaces []uint32
}

// space is one interned namespace and the number of queued entries in it.
type space struct {
	name   string
	queued int
}

// due is an Event to delete at at (Unix nanoseconds, unixNanos: 8 bytes rather
// than a time.Time's 24), if it is still at the version rv codes
// (versionCode). It holds no pointer (24 bytes; the name is placed in
// expiries.names), so the collector neither marks the queue's ~500,000
// entries at 100,000 certificates nor an allocation for each name.
type due struct {
	at   int64
	rv   uint64
	name uint32 // the name's place in expiries.names
	ns   uint32
}

// expiring is a due Event popped from the queue, ready to delete: its
// version is text when the code held it (even codes), else only its code.
type expiring struct {
	ref  meta.Ref
	rv   string
	code uint64
}

// versionCode is a resource version as a number: a decimal version (every
// Store certflow has: objects.FormatRevision) is its value shifted left,
// an even code that gives the text back; any other is a hash of it with
// the low bit set, which only tells whether a version is the same.
func versionCode(seed maphash.Seed, rv string) uint64 {
	// ParseUint takes digits only, so without a leading zero rv is the
	// number's one decimal form (and no string is formatted to check it).
	if rv == "0" || rv != "" && rv[0] != '0' {
		if n, err := strconv.ParseUint(rv, 10, 63); err == nil {
			return n << 1
		}
	}
	return maphash.String(seed, rv) | 1
}

// versionText is the version an even code holds; ok false for an odd one.
func versionText(code uint64) (rv string, ok bool) {
	if code&1 != 0 {
		return "", false
	}
	return strconv.FormatUint(code>>1, 10), true
}

// track queues ref, stored at version rv, to be deleted at at. It reports
// whether at is earlier than anything queued (Run sleeps too long).
func (x *expiries) track(ref meta.Ref, rv string, at time.Time) bool {
	return x.push(ref, versionCode(x.seedOf(), rv), at)
}

func (x *expiries) push(ref meta.Ref, code uint64, at time.Time) bool {
	if len(ref.Name) > maxQueuedName {
		// certflow's stores refuse names over 253 bytes; an Event so named
		// in another Store is left to its sweep rather than cut short and
		// later deleted under a name that is not its own.
		return false
	}
	if x.latest == nil {
		x.latest = map[uint64]uint64{}
	}
	when := unixNanos(at)
	earliest := len(x.queue) == 0 || when < x.queue[0].at
	x.latest[x.key(ref)] = code
	x.queue.push(due{at: when, rv: code, name: x.names.put(ref.Name), ns: x.space(ref.Namespace)})
	return earliest
}

// unixNanos is t in Unix nanoseconds, clamped to what they hold (1678 to
// 2262, where time.UnixNano wraps): an Event stamped in 2300 (a clock gone
// wrong) waits until 2262 rather than wrapping to 1715 and being deleted
// at once.
func unixNanos(t time.Time) int64 {
	const limit = math.MaxInt64 / int64(time.Second) // seconds either side of 1970
	switch s := t.Unix(); {
	case s >= limit:
		return math.MaxInt64
	case s <= -limit:
		return math.MinInt64
	}
	return t.UnixNano()
}

// space returns the index of namespace ns in x.spaces for one more
// queued entry, adding ns (in a freed index if there is one).
func (x *expiries) space(ns string) uint32 {
	i, ok := x.spaceIndex[ns]
	if !ok {
		if x.spaceIndex == nil {
			x.spaceIndex = map[string]uint32{}
		}
		if n := len(x.freeSpaces); n > 0 {
			i = x.freeSpaces[n-1]
			x.freeSpaces = x.freeSpaces[:n-1]
			x.spaces[i] = space{name: ns}
		} else {
			i = uint32(len(x.spaces))
			x.spaces = append(x.spaces, space{name: ns})
		}
		x.spaceIndex[ns] = i
	}
	x.spaces[i].queued++
	return i
}

// release notes that an entry in namespace index i left the queue, and
// frees the index with its last one.
func (x *expiries) release(i uint32) {
	s := &x.spaces[i]
	if s.queued--; s.queued > 0 {
		return
	}
	delete(x.spaceIndex, s.name)
	*s = space{}
	x.freeSpaces = append(x.freeSpaces, i)
}

func (x *expiries) refOf(d due) meta.Ref {
	return meta.Ref{Kind: meta.KindEvent, Namespace: x.spaces[d.ns].name, Name: x.names.name(d.name)}
}

// forget drops ref if it is still queued at version rv: it was deleted
// (by the collector, a prune or another replica), so nothing is due.
func (x *expiries) forget(ref meta.Ref, rv string) {
	if x.latest == nil {
		return
	}
	k := x.key(ref)
	if got, ok := x.latest[k]; ok && got == versionCode(x.seedOf(), rv) {
		delete(x.latest, k)
	}
}

// next is when the earliest queued Event is due; zero if none is queued.
func (x *expiries) next() time.Time {
	if len(x.queue) == 0 {
		return time.Time{}
	}
	return time.Unix(0, x.queue[0].at).In(time.UTC)
}

// popDue removes and returns up to limit entries due at now and still
// current; stale entries (a newer version is queued, or the Event was
// deleted) are dropped.
func (x *expiries) popDue(now time.Time, limit int) []expiring {
	var out []expiring
	for len(x.queue) > 0 && x.queue[0].at <= unixNanos(now) && len(out) < limit {
		d := x.queue.pop()
		ref := x.refOf(d)
		x.release(d.ns)
		x.names.release(d.name)
		k := x.key(ref)
		if code, ok := x.latest[k]; ok && code == d.rv {
			delete(x.latest, k)
			rv, _ := versionText(code)
			out = append(out, expiring{ref: ref, rv: rv, code: code})
		}
	}
	if len(x.queue) == 0 {
		// Let a drained burst's backing array and map buckets go: Go maps
		// never shrink, and 440,000 entries hold ~20 MiB.
		x.queue, x.latest, x.names = nil, nil, nameArena{}
		x.spaces, x.spaceIndex, x.freeSpaces = nil, nil, nil
	}
	return out
}

// empty reports whether nothing is queued.
func (x *expiries) empty() bool { return len(x.queue) == 0 }

func (x *expiries) key(ref meta.Ref) uint64 { return maphash.Comparable(x.seedOf(), ref) }

// seedOf returns the seed of keys and version hashes, made once: codes
// popped before the queue drained are compared after.
func (x *expiries) seedOf() maphash.Seed {
	if x.seed == (maphash.Seed{}) {
		x.seed = maphash.MakeSeed()
	}
	return x.seed
}

// dueHeap orders entries by when they are due: a binary min-heap, written
// out rather than through container/heap, whose interface boxes every
// entry pushed.
type dueHeap []due

func (h *dueHeap) push(d due) {
	*h = append(*h, d)
	q := *h
	for i := len(q) - 1; i > 0; {
		parent := (i - 1) / 2
		if q[parent].at <= q[i].at {
			break
		}
		q[parent], q[i] = q[i], q[parent]
		i = parent
	}
}

func (h *dueHeap) pop() due {
	q := *h
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q[last] = due{}
	q = q[:last]
	for i := 0; ; {
		least, l, r := i, 2*i+1, 2*i+2
		if l < len(q) && q[l].at < q[least].at {
			least = l
		}
		if r < len(q) && q[r].at < q[least].at {
			least = r
		}
		if least == i {
			break
		}
		q[i], q[least] = q[least], q[i]
		i = least
	}
	*h = q
	return top
}

// expireBatch bounds the deletes of one expire, so that new events are
// written between batches (a sweep at start may find 440,000 aged Events,
// each delete an fsync on a file store) rather than dropped meanwhile.
const expireBatch = 256

// expire deletes up to expireBatch tracked Events that are due; Run calls
// it again while more are. An Event that changed since it was tracked
// (another replica bumped it) is read: deleted if it is past MaxAge all
// the same, else tracked again at its new expiry. One the Store would not
// delete is tried again after a quarter of MaxAge.
func (w *Writer) expire(ctx context.Context) {
	now := w.o.Clock.Now()
	w.mu.Lock()
	dues := w.exp.popDue(now, expireBatch)
	drained := w.exp.empty()
	w.expiring = true
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.expiring = false
		w.settledLocked()
	}()
	cutoff := now.Add(-w.o.MaxAge)
	for _, d := range dues {
		if err := w.expireOne(ctx, d, cutoff); err != nil {
			w.mu.Lock()
			w.exp.push(d.ref, d.code, now.Add(w.o.MaxAge/4))
			w.mu.Unlock()
		}
	}
	w.mu.Lock()
	drained = drained && w.exp.empty()
	w.mu.Unlock()
	if drained {
		// Every Event this writer knew of is gone: so is what it
		// remembers of them and of their objects (objects it will never
		// hear of again: each issuance names new requests and orders).
		w.memo.forgetCounts()
	}
}

// expireOne deletes d's Event if it is still at d's version, or, if it
// changed, still past cutoff. A version the queue kept only as a hash
// (a Store whose versions are not decimal) is read first.
func (w *Writer) expireOne(ctx context.Context, d expiring, cutoff time.Time) error {
	rv, known := d.rv, d.code&1 == 0
	for range writeAttempts {
		if known {
			err := w.o.Store.Delete(ctx, d.ref, rv)
			switch {
			case err == nil, errors.Is(err, store.ErrNotFound):
				return nil
			case !errors.Is(err, store.ErrConflict):
				return err
			}
		}
		cur := &meta.Event{}
		switch err := w.o.Store.Get(ctx, d.ref, cur); {
		case errors.Is(err, store.ErrNotFound):
			return nil
		case err != nil:
			return err
		}
		rv = cur.ObjectMeta.ResourceVersion
		if !known && w.sameVersion(rv, d.code) {
			known = true // the version queued: delete it as it is
			continue
		}
		if !cur.Time.Before(cutoff) {
			w.track(d.ref, rv, cur.Time)
			return nil
		}
		known = true
	}
	return fmt.Errorf("events: expire %s: lost %d races to other writers", d.ref, writeAttempts)
}

// sameVersion reports whether rv is the version code stands for.
func (w *Writer) sameVersion(rv string, code uint64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return versionCode(w.exp.seedOf(), rv) == code
}

// track notes that the Event ref, stored at version rv, last happened at
// t, and wakes Run if it is due before anything Run sleeps for.
func (w *Writer) track(ref meta.Ref, rv string, t time.Time) {
	w.mu.Lock()
	earlier := w.exp.track(ref, rv, w.expiry(t))
	w.mu.Unlock()
	if earlier {
		w.poke()
	}
}

// Deleted tells the writer that the Event ref was deleted at version rv
// (the Manager sees every deletion on its watch), so nothing is left to
// expire.
func (w *Writer) Deleted(ref meta.Ref, rv string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.exp.forget(ref, rv)
}
