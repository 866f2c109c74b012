package certflow

import (
	"sync"

	"github.com/certflow/certflow/meta"
)

// writtenViews keeps the owner view (reconcile.OwnerView) of objects a
// reconcile updates, as written: the watch event of that update then
// compares views without reading the object back from the Store
// (wakesOwners), in the goroutine that also tells every replica which
// challenges to answer. A reconcile may write an object several times
// before the watch delivers the first event, so the views are kept per
// version written, in order. The view is kept before the write, since the
// watch may also deliver its event before the write returns: an event of
// no version kept, while a write is under way, gets the view being
// written, which is what a read after the write would have seen, and a
// write that then fails wakes the object's owners, as the view it lent
// was never stored. Any other event reads the object as before.
type writtenViews struct {
	mu sync.Mutex
	m  map[meta.Ref][]writtenView
}

type writtenView struct {
	view any
	// version is the version written; empty while the write is under
	// way. lent is set when an event took the view meanwhile.
	version string
	lent    bool
}

// writtenViewsLimit bounds the objects whose views are kept, and
// writtenViewsPerObject the views kept per object: past them views are
// dropped, which only costs a Store read per late event.
const (
	writtenViewsLimit     = 4096
	writtenViewsPerObject = 8
)

// begin keeps view for the update of ref about to be made.
func (w *writtenViews) begin(ref meta.Ref, view any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil || len(w.m) >= writtenViewsLimit {
		w.m = map[meta.Ref][]writtenView{}
	}
	vs := append(w.m[ref], writtenView{view: view})
	if len(vs) > writtenViewsPerObject {
		vs = vs[len(vs)-writtenViewsPerObject:]
	}
	w.m[ref] = vs
}

// end records that the update of ref begun last ended with version (err
// nil) or failed; it reports whether the owners must be woken: the view
// was lent to an event and never stored.
func (w *writtenViews) end(ref meta.Ref, version string, err error) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	vs := w.m[ref]
	i := len(vs) - 1
	if i < 0 || vs[i].version != "" {
		return false
	}
	lent := vs[i].lent
	if err != nil {
		w.set(ref, vs[:i])
		return lent
	}
	vs[i].version, vs[i].lent = version, false
	return false
}

// take returns the view of ref to compare for its event of version: the
// one written at that version (dropping those written before it), else
// the one being written.
func (w *writtenViews) take(ref meta.Ref, version string) (any, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	vs := w.m[ref]
	for i, v := range vs {
		if version != "" && v.version == version {
			w.set(ref, vs[i+1:])
			return v.view, true
		}
	}
	if i := len(vs) - 1; i >= 0 && vs[i].version == "" {
		vs[i].lent = true
		return vs[i].view, true
	}
	return nil, false
}

func (w *writtenViews) set(ref meta.Ref, vs []writtenView) {
	if len(vs) == 0 {
		delete(w.m, ref)
		return
	}
	w.m[ref] = vs
}

func (w *writtenViews) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.m = nil
}

// updating keeps the owner view of obj, about to be updated by a
// reconcile, when its kind has an OwnerView rule; the returned func is
// told how the update ended.
func (m *Manager) updating(obj meta.Object) func(error) {
	ref := meta.RefOf(obj)
	rule, ok := m.wiring.ownerViews[ref.Kind]
	if !ok || len(obj.GetMeta().OwnerRefs) == 0 {
		return func(error) {}
	}
	m.written.begin(ref, viewOf(rule, obj))
	return func(err error) {
		if m.written.end(ref, obj.GetMeta().ResourceVersion, err) {
			for _, o := range obj.GetMeta().OwnerRefs {
				if _, ok := m.reconcilers[o.Kind]; ok {
					m.queue.Add(o)
				}
			}
		}
	}
}
