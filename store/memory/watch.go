package memory

import (
	"context"
	"fmt"

	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/internal/objects"
)

// watcher is one Watch call. Its channel is written only under s.mu, so the
// last slot can be kept free for the final error event.
type watcher struct {
	ch   chan store.WatchEvent
	from uint64
	stop func() bool // stops the context.AfterFunc that closes the watch
}

// Watch streams every change with a revision greater than fromRevision. If
// fromRevision is older than the remembered history, Watch returns an error
// wrapping store.ErrCompacted and no channel.
func (s *Store) Watch(ctx context.Context, fromRevision uint64) (<-chan store.WatchEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: watch: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if fromRevision < s.hist.compacted {
		return nil, fmt.Errorf("memory: watch from %d: oldest remembered is %d: %w",
			fromRevision, s.hist.compacted+1, store.ErrCompacted)
	}
	replay := s.hist.since(fromRevision)
	w := &watcher{ch: make(chan store.WatchEvent, len(replay)+s.watchBuffer+1), from: fromRevision}
	for _, ev := range replay {
		ev.Meta = objects.CloneMeta(&ev.Meta)
		w.ch <- ev
	}
	s.watchers[w] = struct{}{}
	w.stop = context.AfterFunc(ctx, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.watchers[w]; ok {
			s.closeLocked(w)
		}
	})
	return w.ch, nil
}

// deliverLocked queues ev for w without blocking. A full buffer ends the
// watch: the reserved last slot carries the ErrCompacted event.
func (s *Store) deliverLocked(w *watcher, ev store.WatchEvent) {
	if ev.Revision <= w.from {
		return
	}
	if len(w.ch) >= cap(w.ch)-1 {
		w.ch <- store.WatchEvent{Revision: ev.Revision, Err: fmt.Errorf(
			"memory: watch: watcher fell %d events behind at revision %d: %w", cap(w.ch)-1, ev.Revision, store.ErrCompacted)}
		s.closeLocked(w)
		return
	}
	ev.Meta = objects.CloneMeta(&ev.Meta)
	w.ch <- ev
}

func (s *Store) closeLocked(w *watcher) {
	delete(s.watchers, w)
	close(w.ch)
	w.stop()
}

// history is a ring of the most recent events. Revisions are consecutive, so
// everything after compacted is in the ring.
type history struct {
	limit     int
	buf       []store.WatchEvent // grows to limit, then used as a ring
	start     int                // index of the oldest event once full
	compacted uint64             // revisions <= compacted are forgotten
}

func (h *history) add(ev store.WatchEvent) {
	if len(h.buf) < h.limit {
		h.buf = append(h.buf, ev)
		return
	}
	h.compacted = h.buf[h.start].Revision
	h.buf[h.start] = ev
	h.start = (h.start + 1) % len(h.buf)
}

// since returns the remembered events with a revision greater than from, in
// order. The events share their Meta with the history; callers copy it.
func (h *history) since(from uint64) []store.WatchEvent {
	n := len(h.buf)
	var out []store.WatchEvent
	for i := range n {
		ev := h.buf[(h.start+i)%n]
		if ev.Revision > from {
			out = append(out, ev)
		}
	}
	return out
}
