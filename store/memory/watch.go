package memory

import (
	"context"
	"fmt"

	"github.com/certflow/certflow/store"
)

const (
	// watchChanBuffer is the capacity of a watch's channel: enough for the
	// feeding goroutine to run ahead of its consumer a little.
	watchChanBuffer = 64
	// takeBatch bounds how many changes a watch copies out of the history
	// per turn of the lock.
	takeBatch = 256
)

// watcher is one Watch call: a cursor into the store's history. Guarded by
// Store.mu, except wake and ch.
type watcher struct {
	next uint64        // the lowest revision not yet taken
	wake chan struct{} // signalled (without blocking) after each change
	ch   chan<- store.WatchEvent
	done <-chan struct{} // the Watch's ctx's: a cancelled watch is handed nothing
	// idle is set while the feeding goroutine waits for a change with
	// nothing taken and unsent: the writer of the next change then puts
	// it in ch itself (wakeLocked), so a watch that keeps up costs a
	// change one hand-off (writer to consumer), not two (writer to the
	// feeding goroutine to consumer).
	idle bool
}

// Watch streams every change with a revision greater than fromRevision. If
// fromRevision is older than the remembered history, Watch returns an error
// wrapping store.ErrCompacted and no channel. Each watch is fed by one
// goroutine that reads the store's history at its own pace and ends, closing
// the channel, when ctx is done; a watch that falls so far behind that its
// next change was forgotten gets a last event wrapping store.ErrCompacted.
func (s *Store) Watch(ctx context.Context, fromRevision uint64) (<-chan store.WatchEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: watch: %w", err)
	}
	s.mu.Lock()
	if compacted := s.hist.compacted; fromRevision < compacted {
		s.mu.Unlock()
		return nil, fmt.Errorf("memory: watch from %d: oldest remembered is %d: %w",
			fromRevision, compacted+1, store.ErrCompacted)
	}
	ch := make(chan store.WatchEvent, watchChanBuffer)
	w := &watcher{next: fromRevision + 1, wake: make(chan struct{}, 1), ch: ch, done: ctx.Done()}
	s.watchers[w] = struct{}{}
	s.mu.Unlock()
	go s.feed(ctx, w, ch)
	return ch, nil
}

// feed sends w's changes to ch until ctx is done or w falls behind the
// history. Changes are taken in batches under the lock and sent without it,
// so a slow consumer delays only itself.
func (s *Store) feed(ctx context.Context, w *watcher, ch chan<- store.WatchEvent) {
	defer close(ch)
	defer s.dropWatcher(w)
	done := ctx.Done()
	var batch []change
	for {
		var err error
		batch, err = s.take(w, batch[:0])
		if err != nil {
			select {
			case ch <- store.WatchEvent{Revision: w.next - 1, Err: err}:
			case <-ctx.Done():
			}
			return
		}
		if len(batch) == 0 {
			select {
			case <-w.wake:
				continue
			case <-ctx.Done():
				return
			}
		}
		for i := range batch {
			ev := batch[i].event()
			batch[i] = change{} // the history may forget it now
			// A send into room in the buffer (the usual case: the
			// consumer keeps up) needs no select over ctx: selectgo
			// locks both channels on every change of every watch. The
			// done check first is lock-free on an open channel, and
			// without it a cancelled watch whose consumer drains kept
			// sending for as long as writers wrote.
			select {
			case <-done:
				return
			default:
			}
			select {
			case ch <- ev:
				continue
			default:
			}
			select {
			case ch <- ev:
			case <-done:
				return
			}
		}
	}
}

// take appends to batch the next changes for w and moves its cursor past
// them, or reports that they were forgotten.
func (s *Store) take(w *watcher, batch []change) ([]change, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.next <= s.hist.compacted {
		return batch, fmt.Errorf("memory: watch: fell more than %d changes behind at revision %d: %w",
			s.hist.maxLag, w.next-1, store.ErrCompacted)
	}
	batch = s.hist.since(w.next, takeBatch, batch)
	w.next += uint64(len(batch))
	w.idle = len(batch) == 0
	if len(batch) > 0 {
		s.hist.forget(s.oldestNeededLocked)
	}
	return batch, nil
}

func (s *Store) dropWatcher(w *watcher) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.watchers, w)
}

// oldestNeededLocked is the lowest revision a watcher still within the
// history has to take, or 0 if none has one to take.
func (s *Store) oldestNeededLocked() uint64 {
	var oldest uint64
	for w := range s.watchers {
		if w.next > s.hist.compacted && w.next <= s.rev && (oldest == 0 || w.next < oldest) {
			oldest = w.next
		}
	}
	return oldest
}

// wakeLocked hands c, just committed, to every watcher: into the channel
// of one whose feeding goroutine is idle and has room for it, else by
// waking that goroutine to take it. The feeding goroutine closes the
// channel only after dropWatcher, so no send here meets a closed one.
func (s *Store) wakeLocked(c change) {
	for w := range s.watchers {
		if w.idle && w.next == c.rev && c.rev > s.hist.compacted && !closed(w.done) {
			select {
			case w.ch <- c.event():
				w.next++
				continue
			default:
			}
		}
		w.idle = false
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

func closed(done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}
