package events

import "github.com/certflow/certflow/meta"

// Gone tells the writer that obj was deleted: its events still waiting to
// be written are not written. An Event is owned by its object and
// collected with it (the Manager deletes an Event stored after its object
// is gone), so writing one now is a Create, a change for every watcher of
// the Store and a Delete, and it ends as not writing it does. Most of an
// issuance's are its Challenge's, which its Order deletes once valid,
// often before the batch its last events wait in is written.
//
// An event already being written (its batch taken) is stored and
// collected as before, and so is one recorded after this call. They are
// not counted as lost: they are gone with their object, as if written.
func (w *Writer) Gone(obj meta.Ref) {
	w.mu.Lock()
	defer w.mu.Unlock()
	kept := w.batch[:0]
	for _, p := range w.batch {
		if p.ev.Object != obj {
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
