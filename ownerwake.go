package certflow

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"sync"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/store"
)

// ownerWake remembers, for each object of a kind with a reconcile.OwnerView
// rule, what its owners last saw of it, so a change that leaves that as it
// was does not wake them: each step of a Challenge (presented, checked,
// accepted) woke its Order to decide again to wait.
type ownerWake struct {
	mu   sync.Mutex
	last map[meta.Ref]ownerSight
	// peak is the most entries last held since it was made: a burst of
	// requests in flight (100k Certificates applied at once) grows it, and
	// a Go map keeps its size once grown, so it is made anew once the
	// requests are final and forgotten (see forget).
	peak int
}

// ownerSight is what the owners of an object decide on: its view by the
// rule, and the metadata that says whose child it is.
type ownerSight struct {
	view       any
	owners     []meta.Ref
	generation int64
	deleting   bool
	// version is the ResourceVersion seen, 0 when it is not a number.
	version uint64
}

func (s ownerSight) same(o ownerSight) bool {
	return s.view == o.view && slices.Equal(s.owners, o.owners) &&
		s.generation == o.generation && s.deleting == o.deleting
}

// wakesOwners reports whether the change ev must wake the owners of its
// object. It does unless the object's kind has an OwnerView rule and the
// object, read now, shows its owners what they saw at its previous change.
// A new object, and one that cannot be read, wakes them.
func (m *Manager) wakesOwners(ctx context.Context, ev store.WatchEvent) bool {
	rule, ok := m.wiring.ownerViews[ev.Ref.Kind]
	if !ok {
		return true
	}
	w := &m.ownerWake
	if ev.Type == store.Deleted {
		w.forget(ev.Ref)
		return true
	}
	// The metadata after the change comes with the event; the view as a
	// reconcile wrote it (writtenViews), else as the Store has it now.
	om := &ev.Meta
	view, written := m.written.take(ev.Ref, ev.Meta.ResourceVersion)
	if !written {
		obj, err := newObject(ev.Ref.Kind)
		if err == nil {
			err = m.cfg.Store.Get(ctx, ev.Ref, obj)
		}
		if err != nil {
			w.forget(ev.Ref)
			return true
		}
		view, om = viewOf(rule, obj), obj.GetMeta()
	}
	if view == nil {
		v, _ := strconv.ParseUint(ev.Meta.ResourceVersion, 10, 64)
		return !w.finalSeen(ev.Ref, v)
	}
	return w.see(ev.Ref, sightOf(view, om, ev.Meta.ResourceVersion), ev.Type == store.Added, false)
}

// sightOf is what the owners see of an object with metadata om at version
// rv and view by its kind's rule. Its owners are om's own: see and
// seeFinal keep a copy of them (kept), not the caller's slice.
func sightOf(view any, om *meta.ObjectMeta, rv string) ownerSight {
	v, _ := strconv.ParseUint(rv, 10, 64)
	return ownerSight{view: view, owners: om.OwnerRefs,
		generation: om.Generation, deleting: om.DeletionTime != nil, version: v}
}

// kept returns s to be remembered in place of before: with owners of its
// own, shared with before's when they are the same (they are never
// written once kept). An object's owners rarely change, and each of its
// writes and events was a copy of them.
func (s ownerSight) kept(before ownerSight) ownerSight {
	if slices.Equal(s.owners, before.owners) {
		s.owners = before.owners
	} else {
		s.owners = slices.Clone(s.owners)
	}
	return s
}

// see records that the owners of ref are shown now, and reports whether
// that wakes them: when it is new to them, or ref is (added). A change at
// a version no newer than one they were already shown (woken at its write,
// see wakeAtWrite, before the watch delivered this one) is old news: it
// neither wakes them nor replaces what they saw. At a write (atWrite),
// only a change from what the watch showed them counts: of an object the
// watch has not shown them yet, nothing is recorded or woken, and its
// events decide as before (its creation may still be on its way, which
// wakes them or not by who created it).
func (w *ownerWake) see(ref meta.Ref, now ownerSight, added, atWrite bool) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	before, seen := w.last[ref]
	if seen && now.version != 0 && now.version <= before.version || atWrite && !seen {
		return false
	}
	if w.last == nil {
		w.last = map[meta.Ref]ownerSight{}
	}
	w.last[ref] = now.kept(before)
	w.peak = max(w.peak, len(w.last))
	// A new object always wakes, whatever a namesake left behind.
	return added || !seen || !now.same(before)
}

// viewOf applies rule; a view that cannot be compared counts as nil (which
// always wakes) rather than panicking in the watch.
func viewOf(rule reconcile.OwnerView, obj meta.Object) any {
	v := rule(obj)
	if v == nil || !reflect.TypeOf(v).Comparable() {
		return nil
	}
	return v
}

// finalSight is what ownerWake remembers of an object whose owners were
// woken at the write that left it with no view (final: all its changes
// wake), until the watch delivers that write.
type finalSight struct{}

// seeFinal records, at a write (wakeAtWrite) that left ref with no view,
// that its owners are woken for it: when the watch has shown them ref
// (else its events decide, as for see) and the version is newer than any
// they were shown.
func (w *ownerWake) seeFinal(ref meta.Ref, now ownerSight) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	before, seen := w.last[ref]
	if !seen || now.version <= before.version {
		return false
	}
	now.view = finalSight{}
	w.last[ref] = now.kept(before)
	return true
}

// finalSeen reports whether the watch's change of ref at version (one
// with no view, which always wakes) was shown to its owners at its write
// already (seeFinal), and forgets ref unless a newer write is still to be
// delivered.
func (w *ownerWake) finalSeen(ref meta.Ref, version uint64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	before, ok := w.last[ref]
	_, final := before.view.(finalSight)
	shown := ok && final && version != 0 && version <= before.version
	if !shown || version == before.version {
		w.forgetLocked(ref)
	}
	return shown
}

func (w *ownerWake) forget(ref meta.Ref) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.forgetLocked(ref)
}

func (w *ownerWake) forgetLocked(ref meta.Ref) {
	delete(w.last, ref)
	if w.peak > shrinkAfter && len(w.last) < w.peak/8 {
		w.last = maps.Collect(maps.All(w.last))
		w.peak = len(w.last)
	}
}

// reset forgets everything: after a re-list the owners have read every
// object afresh, and what the lost changes would have told is unknown.
func (w *ownerWake) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.last, w.peak = nil, 0
}
