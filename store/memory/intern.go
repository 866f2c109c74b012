package memory

import "github.com/certflow/certflow/internal/canon"

// A slab shares a long or repeated string (a certificate's DER, a repeated
// event message) through a handle to the process's canonical copy
// (internal/canon): one allocation without pointers each, where
// unique.Make's cost ~7.3 heap objects, each marked at every collection (a
// certificate's leaf DER, shared by its request and its Secret, was 6.4 of
// the store's 23.4 objects a certificate; now 17.0). The table counts the
// entries the Store holds that refer to a copy (objectIDs retains and
// releases them under the Store's lock, and a Store let go releases all
// of its own: New's cleanup) and forgets a copy none does.
type strHandle = canon.Handle

// handles returns the canonical copies the entry's slab refers to (none
// for an object kept decoded).
func (e *entry) handles() []strHandle {
	if e == nil || e.p == nil || e.codec() == nil {
		return nil
	}
	return e.slab().shared()
}
