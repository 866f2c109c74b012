package certflow

import "github.com/certflow/certflow/meta"

// maxDeletions bounds how many owner deletions an ownerIndex remembers.
const maxDeletions = 4096

// recentDeletions is the revision each of the last maxDeletions deletions
// was made at. Forgetting the oldest is O(1): each remembered object counts
// its deletions still in the window, where a scan of the window for a later
// deletion of the same name cost ~4,000 comparisons a deletion once it was
// full (every certificate deletes its Challenges' Events).
type recentDeletions struct {
	at map[meta.Ref]deletion
	// ring holds the window's deletions; once full, next is the oldest,
	// the one the next deletion replaces.
	ring []meta.Ref
	next int
}

type deletion struct {
	rev uint64
	// inWindow counts the deletions of this object in the window.
	inWindow int32
}

// add records that ref was deleted at rev.
func (d *recentDeletions) add(ref meta.Ref, rev uint64) {
	if d.at == nil {
		d.at = map[meta.Ref]deletion{}
	}
	e := d.at[ref]
	d.at[ref] = deletion{rev: rev, inWindow: e.inWindow + 1}
	if len(d.ring) < maxDeletions {
		d.ring = append(d.ring, ref)
		return
	}
	old := d.ring[d.next]
	d.ring[d.next] = ref
	d.next = (d.next + 1) % maxDeletions
	if e := d.at[old]; e.inWindow > 1 {
		e.inWindow--
		d.at[old] = e
	} else {
		delete(d.at, old)
	}
}

// revision returns the revision ref was last deleted at, if remembered.
func (d *recentDeletions) revision(ref meta.Ref) (uint64, bool) {
	e, ok := d.at[ref]
	return e.rev, ok
}
