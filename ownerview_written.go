package certflow

import (
	"context"
	"slices"
	"sync"

	"github.com/certflow/certflow/meta"
)

// writtenViews keeps the owner view (reconcile.OwnerView) of objects a
// reconcile updates or creates, as written: the watch event of that write then
// compares views without reading the object back from the Store
// (wakesOwners), in the goroutine that also tells every replica which
// challenges to answer. A reconcile may write an object several times
// before the watch delivers the first event, so the views are kept per
// version written, in order. Only the event of a version written gets its
// view: an event that arrives while the write is still under way reads the
// Store, since lending it the view being written would leave a view that
// was never stored as what the owners saw, should the write fail. Two
// writers of one object (a request's reconciler and its Certificate's)
// each end their own update: an update is told by its handle, not by being
// the last begun.
type writtenViews struct {
	mu sync.Mutex
	m  map[meta.Ref][]writtenView
	// last is the handle of the last update begun.
	last uint64
	// free holds the emptied slices of objects whose views were all
	// taken, for the next object's update: each request, Order and
	// Challenge is written several times, and a slice made per write was
	// two allocations with its handle.
	free [][]writtenView
}

type writtenView struct {
	view any
	// version is the version written; empty while the write is under way.
	version string
	// h tells this update from another of the same object.
	h uint64
}

// writtenViewsLimit bounds the objects whose views are kept, and
// writtenViewsPerObject the views kept per object: past them views are
// dropped, which only costs a Store read per late event. writtenViewsFree
// bounds the slices kept for reuse.
const (
	writtenViewsLimit     = 4096
	writtenViewsPerObject = 8
	writtenViewsFree      = 64
)

// begin keeps view for the update of ref about to be made; end is given
// the handle it returns (never 0).
func (w *writtenViews) begin(ref meta.Ref, view any) uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil || len(w.m) >= writtenViewsLimit {
		w.m = map[meta.Ref][]writtenView{}
	}
	w.last++
	vs, ok := w.m[ref]
	if !ok && len(w.free) > 0 {
		vs = w.free[len(w.free)-1]
		w.free = w.free[:len(w.free)-1]
	}
	if len(vs) == writtenViewsPerObject {
		vs = slices.Delete(vs, 0, 1)
	}
	w.m[ref] = append(vs, writtenView{view: view, h: w.last})
	return w.last
}

// end records that the update h of ref ended with version (err nil), or
// drops its view when the update failed.
func (w *writtenViews) end(ref meta.Ref, h uint64, version string, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	vs := w.m[ref]
	i := slices.IndexFunc(vs, func(v writtenView) bool { return v.h == h })
	if i < 0 {
		return // dropped past the limits meanwhile
	}
	if err != nil {
		w.set(ref, slices.Delete(vs, i, i+1))
		return
	}
	vs[i].version = version
}

// take returns the view of ref written at version, dropping the views of
// versions written before it (their events came before this one); updates
// still under way keep theirs.
func (w *writtenViews) take(ref meta.Ref, version string) (any, bool) {
	if version == "" {
		return nil, false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	vs := w.m[ref]
	i := slices.IndexFunc(vs, func(v writtenView) bool { return v.version == version })
	if i < 0 {
		return nil, false
	}
	view := vs[i].view
	// In place: those before i still under way, then all after i.
	n := 0
	for j, v := range vs {
		if j > i || (j < i && v.version == "") {
			vs[n] = v
			n++
		}
	}
	clear(vs[n:])
	w.set(ref, vs[:n])
	return view, true
}

func (w *writtenViews) set(ref meta.Ref, vs []writtenView) {
	if len(vs) == 0 {
		delete(w.m, ref)
		if cap(vs) > 0 && len(w.free) < writtenViewsFree {
			w.free = append(w.free, vs[:0])
		}
		return
	}
	w.m[ref] = vs
}

func (w *writtenViews) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.m = nil
}

// viewWrite is an update or creation whose owner view updating kept:
// ended is given it back. The zero value is a write without a view kept.
type viewWrite struct {
	ref  meta.Ref
	h    uint64
	view any
}

// updating keeps the owner view of obj, about to be updated or created by
// a reconcile, when its kind has an OwnerView rule; writeEnded is then
// told how the write ended, and wakes the owners at once when an update
// shows them something new (wakeAtWrite; a creation never does, as the
// watch has not shown them the object yet).
func (m *Manager) updating(_ context.Context, obj meta.Object) viewWrite {
	ref := meta.RefOf(obj)
	rule, ok := m.wiring.ownerViews[ref.Kind]
	if !ok || len(obj.GetMeta().OwnerRefs) == 0 {
		return viewWrite{}
	}
	view := viewOf(rule, obj)
	return viewWrite{ref: ref, h: m.written.begin(ref, view), view: view}
}

// writeEnded ends the write w that updating began.
func (m *Manager) writeEnded(ctx context.Context, obj meta.Object, w viewWrite, err error) {
	if w.h == 0 {
		return
	}
	m.written.end(w.ref, w.h, obj.GetMeta().ResourceVersion, err)
	if err == nil {
		m.wakeAtWrite(ctx, obj, w.view)
	}
}
