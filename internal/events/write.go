package events

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// writeAttempts bounds how often one event is re-read after losing a race
// to another writer of the same Event (another replica). Every lost race
// is another writer's success, so under contention (replicas, -race on a
// loaded machine) a writer may lose many in a row; 8 was seen to be too few.
const writeAttempts = 64

// write adds p's occurrences to its stored Event, creating it if needed,
// with compare-and-swap: two writers of one Event both count. An Event this
// writer does not know stored (knows) is most likely new: it is created
// without being read first.
func (w *Writer) write(ctx context.Context, p *pending) error {
	w.name(p)
	return w.writeFrom(ctx, p, !w.knows(p.ref), 1)
}

// name derives p's Event's name, once.
func (w *Writer) name(p *pending) {
	if p.ref.Name == "" {
		p.ref = Ref(p.ev.Object, p.ev.Type, p.ev.Reason, p.ev.Message, w.o.ClusterNamespace)
	}
}

// writeFrom is write's compare-and-swap loop, starting with a create or an
// add, at attempt (a batch's create that lost a race was the first).
func (w *Writer) writeFrom(ctx context.Context, p *pending, create bool, attempt int) error {
	for ; ; attempt++ {
		var err error
		if create {
			e := w.newEvent(p)
			err = w.o.Store.Create(ctx, e)
			if err == nil {
				w.track(p.ref, e.ObjectMeta.ResourceVersion, e.Time)
				return w.pruneIfFull(ctx, p.ev.Object)
			}
			if !errors.Is(err, store.ErrAlreadyExists) {
				return fmt.Errorf("events: create %s: %w", p.ref, err)
			}
		} else {
			var done bool
			if done, err = w.add(ctx, p); done || err != nil {
				return err
			}
		}
		// Lost a race (or the memo was wrong): look again.
		create = !create
		if attempt == writeAttempts {
			return fmt.Errorf("events: %s: lost %d races to other writers", p.ref, writeAttempts)
		}
	}
}

// add folds p into the stored Event with compare-and-swap. It reports false
// (and no error) when the Event is gone or changed meanwhile.
func (w *Writer) add(ctx context.Context, p *pending) (bool, error) {
	cur := &meta.Event{}
	err := w.o.Store.Get(ctx, p.ref, cur)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("events: read %s: %w", p.ref, err)
	}
	w.merge(cur, p)
	err = w.o.Store.Update(ctx, cur)
	switch {
	case err == nil:
		w.track(p.ref, cur.ObjectMeta.ResourceVersion, cur.Time)
		return true, nil
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotFound):
		return false, nil
	}
	return false, fmt.Errorf("events: update %s: %w", p.ref, err)
}

// newEvent is p as stored. It carries no labels: the owner reference (its
// involved object) is what finds an object's events, and a labels map
// (with its entries in a store's label index) cost ~520 bytes an Event.
func (w *Writer) newEvent(p *pending) *meta.Event {
	e := &p.out
	*e = p.ev
	p.owner[0] = e.Object
	e.TypeMeta = meta.TypeMeta{APIVersion: meta.KindEvent.APIVersion(), Kind: meta.KindEvent}
	e.ObjectMeta = meta.ObjectMeta{Namespace: p.ref.Namespace, Name: p.ref.Name, OwnerRefs: p.owner[:]}
	e.ReportingInstance = w.o.Instance
	return e
}

// merge folds p into the stored cur. An Event that last happened longer
// than MaxAge before p starts counting again: it is past its age and
// would have been pruned.
func (w *Writer) merge(cur *meta.Event, p *pending) {
	if cur.FirstTime.IsZero() {
		cur.FirstTime = cur.Time
	}
	count := max(cur.Count, 1)
	if p.ev.FirstTime.Sub(cur.Time) > w.o.MaxAge {
		count, cur.FirstTime = 0, p.ev.FirstTime
	}
	cur.Count = count + p.ev.Count
	if p.ev.Time.After(cur.Time) {
		cur.Time = p.ev.Time
	}
	if p.ev.FirstTime.Before(cur.FirstTime) {
		cur.FirstTime = p.ev.FirstTime
	}
	cur.ReportingInstance = w.o.Instance
}

// pruneIfFull prunes obj's events once this writer may have created more
// than PerObject of them: it counts its own creates on top of the census the
// last sweep took, or, without one, of a list of obj's events taken the
// first time it creates one. (Replicas each count their own: an object may
// briefly hold more, until one of them prunes, or the sweep.)
func (w *Writer) pruneIfFull(ctx context.Context, obj meta.Ref) error {
	if w.memo.created(obj, w.o.PerObject) {
		return nil
	}
	left, err := w.prune(ctx, obj)
	w.memo.counted(obj, left)
	return err
}

// prune deletes obj's events beyond PerObject (the least recent first) and
// those past MaxAge, and returns how many are left. Each delete is
// conditional: an Event that happened again meanwhile is kept.
func (w *Writer) prune(ctx context.Context, obj meta.Ref) (int, error) {
	evs, err := list(ctx, w.o.Store, obj, w.o.ClusterNamespace)
	if err != nil {
		return 0, fmt.Errorf("events: prune %s: %w", obj, err)
	}
	cutoff := w.o.Clock.Now().Add(-w.o.MaxAge)
	slices.SortFunc(evs, func(a, b *meta.Event) int { return -compare(a, b) })
	var errs []error
	left := 0
	for i, e := range evs {
		if i < w.o.PerObject && !e.Time.Before(cutoff) {
			left++
			continue
		}
		errs = append(errs, w.delete(ctx, e))
	}
	return left, errors.Join(errs...)
}

// sweep lists every Event: it tracks when each passes MaxAge (those past
// it are due at once, and deleted by expire a batch at a time, between
// writes of new events) and counts the others per object (the census).
// Run sweeps once when it starts; a sweep that cannot list tries again
// after a quarter of MaxAge.
func (w *Writer) sweep(ctx context.Context) {
	now := w.o.Clock.Now()
	retry := now.Add(w.o.MaxAge / 4)
	w.mu.Lock()
	w.resweep = time.Time{}
	w.sweeping = true
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.sweeping = false
		w.settledLocked()
	}()
	l, err := w.listing(ctx)
	if err != nil {
		w.memo.takeCensus(nil, false)
		w.retrySweep(retry)
		return
	}
	cutoff := now.Add(-w.o.MaxAge)
	kept := make([]meta.Ref, 0, len(l.events))
	for i, e := range l.events {
		// The sweep owns the listing: dropping each Event once read lets
		// a restart's 500,000 go as it reads them, instead of after the
		// last.
		l.events[i] = listedEvent{}
		if !e.e.Time.Before(cutoff) {
			kept = append(kept, e.e.Object)
		}
		w.track(e.ref, e.rv, e.e.Time)
	}
	w.memo.takeCensus(kept, l.complete) // the census counts every Event, or is not taken
}

func (w *Writer) delete(ctx context.Context, e *meta.Event) error {
	err := w.o.Store.Delete(ctx, meta.RefOf(e), e.ObjectMeta.ResourceVersion)
	if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("events: delete %s: %w", meta.RefOf(e), err)
	}
	return nil
}
