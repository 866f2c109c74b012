package events

import "github.com/certflow/certflow/meta"

// Version returns the version the Event ref was last stored at, as this
// writer knows it: written by it, or found by its last sweep, and neither
// deleted (Deleted) nor expired since. ok is false when it does not know:
// another process wrote the Event, or the Store's versions are not decimal
// (the writer keeps those only as hashes).
//
// It spares the owner of a deleted object a read of each of its Events
// before deleting them: a delete conditional on this version deletes the
// Event as the writer stored it, and fails with store.ErrConflict if
// anyone changed it since (another replica counted it again). A version
// can be stale, never made up: entries are keyed by a hash of the Ref, and
// the version of another Event that collides with ref is another object's
// version too (a Store's versions are one counter), so it conflicts.
func (w *Writer) Version(ref meta.Ref) (rv string, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.exp.version(ref)
}

// version is the version ref is queued at, if the code holds its text.
func (x *expiries) version(ref meta.Ref) (string, bool) {
	code, ok := x.latest[x.key(ref)]
	if !ok {
		return "", false
	}
	return versionText(code)
}

// knows reports whether the writer knows the Event ref as stored: one it
// wrote, or its last sweep found, not deleted or expired since. What the
// writer tracks for expiry is what it has stored, so this is also what
// decides between creating an Event and adding to it: a second set of the
// Events written (a lock, a hash and a map insert an Event) told no more,
// and told less (it did not hear of deletions, and so read first to find
// an Event gone).
func (w *Writer) knows(ref meta.Ref) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, ok := w.exp.latest[w.exp.key(ref)]
	return ok
}
