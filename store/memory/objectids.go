package memory

import "github.com/certflow/certflow/internal/canon"

// objectIDs numbers the objects a Store holds: an object keeps its id from
// its creation to its deletion, through every update (which replaces its
// entry), so the tables and indexes that find objects hold 4-byte ids
// instead of entry pointers. Those are arrays without pointers, which the
// garbage collector marks without scanning; only this array, a word an
// object, points at the entries. Guarded by Store.mu.
type objectIDs struct {
	entries []*entry // by id; nil for a free id
	free    []uint32 // ids of deleted objects, reused first
}

// add gives e a new id.
func (o *objectIDs) add(e *entry) uint32 {
	canon.Retain(e.handles())
	if n := len(o.free); n > 0 {
		id := o.free[n-1]
		o.free = o.free[:n-1]
		o.entries[id] = e
		return id
	}
	o.entries = append(o.entries, e)
	return uint32(len(o.entries) - 1)
}

// replace makes e the entry of id (an update).
func (o *objectIDs) replace(id uint32, e *entry) {
	// Retained first: the copies both versions refer to stay in the table.
	canon.Retain(e.handles())
	canon.Release(o.entries[id].handles())
	o.entries[id] = e
}

// remove frees id (a deletion), letting its entry go.
func (o *objectIDs) remove(id uint32) {
	canon.Release(o.entries[id].handles())
	o.entries[id] = nil
	o.free = append(o.free, id)
}

// entry returns the entry of id.
func (o *objectIDs) entry(id uint32) *entry { return o.entries[id] }

// releaseAll uncounts every entry's copies: the Store is gone, and with
// it every holder it counted.
func (o *objectIDs) releaseAll() {
	for _, e := range o.entries {
		canon.Release(e.handles())
	}
}
