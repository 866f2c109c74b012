package events

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
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
type expiries struct {
	queue dueHeap
	// latest is the version of each queued Event this writer last knew,
	// keyed by a hash of its Ref (8 bytes rather than ~60; a collision only
	// makes an Event's entry look stale, and the Event wait for the next
	// full sweep).
	latest map[uint64]string
	seed   maphash.Seed
}

// due is an Event to delete at at (Unix nanoseconds: 8 bytes rather
// than a time.Time's 24), if it is still at version rv.
type due struct {
	ref meta.Ref
	rv  string
	at  int64
}

// track queues ref, stored at version rv, to be deleted at at. It reports
// whether at is earlier than anything queued (Run sleeps too long).
func (x *expiries) track(ref meta.Ref, rv string, at time.Time) bool {
	if x.latest == nil {
		x.latest = map[uint64]string{}
		x.seed = maphash.MakeSeed()
	}
	earliest := len(x.queue) == 0 || at.UnixNano() < x.queue[0].at
	x.latest[x.key(ref)] = rv
	heap.Push(&x.queue, due{ref: ref, rv: rv, at: at.UnixNano()})
	return earliest
}

// forget drops ref if it is still queued at version rv: it was deleted
// (by the collector, a prune or another replica), so nothing is due.
func (x *expiries) forget(ref meta.Ref, rv string) {
	k := x.key(ref)
	if got, ok := x.latest[k]; ok && got == rv {
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
func (x *expiries) popDue(now time.Time, limit int) []due {
	var out []due
	for len(x.queue) > 0 && x.queue[0].at <= now.UnixNano() && len(out) < limit {
		d := heap.Pop(&x.queue).(due)
		k := x.key(d.ref)
		if rv, ok := x.latest[k]; ok && rv == d.rv {
			delete(x.latest, k)
			out = append(out, d)
		}
	}
	if len(x.queue) == 0 {
		// Let a drained burst's backing array and map buckets go: Go maps
		// never shrink, and 440,000 entries hold ~20 MiB.
		x.queue, x.latest = nil, nil
	}
	return out
}

// empty reports whether nothing is queued.
func (x *expiries) empty() bool { return len(x.queue) == 0 }

func (x *expiries) key(ref meta.Ref) uint64 {
	if x.latest == nil {
		return 0
	}
	return maphash.Comparable(x.seed, ref)
}

// dueHeap orders entries by when they are due (container/heap).
type dueHeap []due

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(v any)        { *h = append(*h, v.(due)) }
func (h *dueHeap) Pop() any {
	old := *h
	d := old[len(old)-1]
	old[len(old)-1] = due{}
	*h = old[:len(old)-1]
	return d
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
			w.exp.track(d.ref, d.rv, now.Add(w.o.MaxAge/4))
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
		w.memo.forgetEvents()
	}
}

// expireOne deletes d's Event if it is still at d's version, or, if it
// changed, still past cutoff.
func (w *Writer) expireOne(ctx context.Context, d due, cutoff time.Time) error {
	rv := d.rv
	for range writeAttempts {
		err := w.o.Store.Delete(ctx, d.ref, rv)
		switch {
		case err == nil, errors.Is(err, store.ErrNotFound):
			return nil
		case !errors.Is(err, store.ErrConflict):
			return err
		}
		cur := &meta.Event{}
		switch err := w.o.Store.Get(ctx, d.ref, cur); {
		case errors.Is(err, store.ErrNotFound):
			return nil
		case err != nil:
			return err
		}
		if !cur.Time.Before(cutoff) {
			w.track(d.ref, cur.ObjectMeta.ResourceVersion, cur.Time)
			return nil
		}
		rv = cur.ObjectMeta.ResourceVersion
	}
	return fmt.Errorf("events: expire %s: lost %d races to other writers", d.ref, writeAttempts)
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
