package events

import "github.com/certflow/certflow/meta"

// Mark returns a mark of the events recorded so far, for Gone.
func (w *Writer) Mark() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.recorded
}

// Gone tells the writer that obj was deleted after before was marked
// (Mark): its events recorded before that and still waiting to be written
// are not written. An Event is owned by its object and collected with it
// (the Manager deletes an Event stored after its object is gone), so
// writing one now is a Create, a change for every watcher of the Store
// and a Delete, and it ends as not writing it does. Most of an issuance's
// are its Challenge's, which its Order deletes once valid, often before
// the batch its last events wait in is written.
//
// Only events recorded before the mark: one recorded since may be about
// an object made again under obj's name after the deletion, whose events
// are its own (a pending that occurred again since is kept whole, as all
// of it was before). The caller marks before it deletes; a deletion it
// did not make has no mark, and its object's events are written and
// collected.
//
// An event already being written (its batch taken) is stored and
// collected as before. Those not written are not counted as lost: they
// are gone with their object, as if written.
func (w *Writer) Gone(obj meta.Ref, before uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	kept := w.batch[:0]
	for _, p := range w.batch {
		if p.ev.Object != obj || p.seq > before {
			kept = append(kept, p)
			continue
		}
		delete(w.byKey, eventKey{obj: obj, typ: p.ev.Type, reason: p.ev.Reason, message: p.ev.Message})
		if len(w.free) < reuseSpare {
			*p = pending{}
			w.free = append(w.free, p)
		}
	}
	if len(kept) == len(w.batch) {
		return
	}
	clear(w.batch[len(kept):])
	w.batch = kept
	w.settledLocked()
}
