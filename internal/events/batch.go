package events

import (
	"context"
	"errors"
	"fmt"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// scratch is what writeAll reuses from one flush to the next: the batch
// split into the Events to create and those to add to, and the arguments
// of the one CreateBatch. Guarded by Writer.flushing.
type scratch struct {
	creates, adds []*pending
	objs          []meta.Object
	errs          []error
}

// writeAll writes batch as write writes each event, but the Events the
// writer does not know stored, most of a burst's, are created with one
// store.CreateBatchOf call, and what the writer knows and tracks is read
// and noted in one turn of its lock each. Written one at a time, each
// Event took that lock twice (knows, track), against every reconciler's
// Record, and the Store's lock once, against every reconciler's read: at
// 2,000 issuances a second on two cores the writer waited behind them for
// some 100 µs an Event, in all longer than the events took to come, and
// MaxPending dropped a quarter of them.
//
// It returns how many of batch were lost, and the error that lost the
// last one.
func (w *Writer) writeAll(ctx context.Context, batch []*pending) (lost uint64, lastErr error) {
	s := &w.scratch
	defer s.reset()
	for _, p := range batch {
		w.name(p)
	}
	w.mu.Lock()
	for _, p := range batch {
		if _, known := w.exp.latest[w.exp.key(p.ref)]; known {
			s.adds = append(s.adds, p)
		} else {
			s.creates = append(s.creates, p)
		}
	}
	w.mu.Unlock()
	for _, p := range s.creates {
		s.objs = append(s.objs, w.newEvent(p))
	}
	if len(s.objs) > 0 {
		s.errs = append(s.errs, make([]error, len(s.objs))...)
		store.CreateBatchOf(ctx, w.o.Store, s.objs, s.errs)
		w.trackCreated(s.creates, s.errs)
	}

	lose := func(err error) { lost, lastErr = lost+1, err }
	for i, p := range s.creates {
		err := s.errs[i]
		switch {
		case err == nil:
			err = w.pruneIfFull(ctx, p.ev.Object)
		case errors.Is(err, store.ErrAlreadyExists):
			// Another writer (a replica) created it meanwhile: add to it.
			err = w.writeFrom(ctx, p, false, 2)
		default:
			err = fmt.Errorf("events: create %s: %w", p.ref, err)
		}
		if err != nil {
			lose(err)
		}
	}
	for _, p := range s.adds {
		if err := ctx.Err(); err != nil {
			lose(err) // shutting down past flushTimeout: not tried
			continue
		}
		if err := w.writeFrom(ctx, p, false, 1); err != nil {
			lose(err)
		}
	}
	return lost, lastErr
}

// trackCreated notes, in one turn of the lock, when each Event created
// (errs[i] == nil) passes MaxAge, as track does for one.
func (w *Writer) trackCreated(created []*pending, errs []error) {
	earlier := false
	w.mu.Lock()
	for i, p := range created {
		if errs[i] == nil && w.exp.track(p.ref, p.out.ObjectMeta.ResourceVersion, w.expiry(p.out.Time)) {
			earlier = true
		}
	}
	w.mu.Unlock()
	if earlier {
		w.poke()
	}
}

// reset empties s, dropping what it points to, and its arrays if a
// backlog grew them past a full batch.
func (s *scratch) reset() {
	if cap(s.creates)+cap(s.adds) > 2*batchFull {
		*s = scratch{}
		return
	}
	clear(s.creates)
	clear(s.adds)
	clear(s.objs)
	clear(s.errs)
	s.creates, s.adds, s.objs, s.errs = s.creates[:0], s.adds[:0], s.objs[:0], s.errs[:0]
}
