package events

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// writeAttempts bounds how often one event is re-read after losing a race
// to another writer of the same Event (another replica).
const writeAttempts = 8

// write adds p's occurrences to its stored Event, creating it if needed,
// with compare-and-swap: two writers of one Event both count.
func (w *Writer) write(ctx context.Context, p *pending) error {
	for attempt := 1; ; attempt++ {
		cur := &meta.Event{}
		err := w.o.Store.Get(ctx, p.ref, cur)
		switch {
		case errors.Is(err, store.ErrNotFound):
			err = w.o.Store.Create(ctx, w.newEvent(p))
			if err == nil {
				return w.prune(ctx, p.ev.Object)
			}
			if !errors.Is(err, store.ErrAlreadyExists) {
				return fmt.Errorf("events: create %s: %w", p.ref, err)
			}
		case err != nil:
			return fmt.Errorf("events: read %s: %w", p.ref, err)
		default:
			w.merge(cur, p)
			err = w.o.Store.Update(ctx, cur)
			if err == nil {
				return nil
			}
			if !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("events: update %s: %w", p.ref, err)
			}
		}
		if attempt == writeAttempts {
			return fmt.Errorf("events: %s: %w", p.ref, err)
		}
	}
}

func (w *Writer) newEvent(p *pending) *meta.Event {
	e := p.ev
	e.TypeMeta = meta.TypeMeta{APIVersion: meta.KindEvent.APIVersion(), Kind: meta.KindEvent}
	e.ObjectMeta = meta.ObjectMeta{Namespace: p.ref.Namespace, Name: p.ref.Name,
		Labels: involvedLabels(e.Object), OwnerRefs: []meta.Ref{e.Object}}
	e.ReportingInstance = w.o.Instance
	return &e
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

// prune deletes obj's events beyond PerObject (the least recent first) and
// those past MaxAge. Each delete is conditional: an Event that happened
// again meanwhile is kept.
func (w *Writer) prune(ctx context.Context, obj meta.Ref) error {
	evs, err := list(ctx, w.o.Store, obj, w.o.ClusterNamespace)
	if err != nil {
		return fmt.Errorf("events: prune %s: %w", obj, err)
	}
	cutoff := w.o.Clock.Now().Add(-w.o.MaxAge)
	slices.SortFunc(evs, func(a, b *meta.Event) int { return -compare(a, b) })
	var errs []error
	for i, e := range evs {
		if i < w.o.PerObject && !e.Time.Before(cutoff) {
			continue
		}
		errs = append(errs, w.delete(ctx, e))
	}
	return errors.Join(errs...)
}

// sweep deletes every event past MaxAge.
func (w *Writer) sweep(ctx context.Context) {
	res, err := w.o.Store.List(ctx, store.ListOptions{Kind: meta.KindEvent})
	if err != nil && len(res.Items) == 0 {
		return
	}
	cutoff := w.o.Clock.Now().Add(-w.o.MaxAge)
	for _, raw := range res.Items {
		e := &meta.Event{}
		if raw.Decode(e) != nil || !e.Time.Before(cutoff) {
			continue
		}
		if err := w.delete(ctx, e); err != nil {
			return
		}
	}
}

func (w *Writer) delete(ctx context.Context, e *meta.Event) error {
	err := w.o.Store.Delete(ctx, meta.RefOf(e), e.ObjectMeta.ResourceVersion)
	if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("events: delete %s: %w", meta.RefOf(e), err)
	}
	return nil
}
