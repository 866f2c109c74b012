package serve

import (
	"strconv"

	"github.com/certflow/certflow/meta"
)

// maxTombstones bounds how many deleted objects a versionLog remembers; a
// read older than a forgotten delete is no longer recognised as stale.
const maxTombstones = 4096

// versionLog orders the reads a Cache is given, so an older read of an
// object never replaces a newer one. Reads come from several goroutines (a
// Store watch, a reconciler serving its own challenge at once, a re-list),
// and one that was slow to arrive must lose to one made later.
//
// A version is an object's ResourceVersion as a number, or the store
// revision of its deletion: the Stores number both from one decimal
// revision counter (see package store), so a delete is newer than every
// version of the object it removed and older than a re-creation. A read
// without a decimal version (0) is unordered: it is applied and orders
// nothing. A versionLog is guarded by its Cache's mu.
type versionLog struct {
	seen map[meta.Ref]mark
	// gone lists deleted refs, oldest first, to forget their tombstones.
	gone []meta.Ref
}

type mark struct {
	version uint64
	deleted bool
}

// parseVersion returns a ResourceVersion as a version, or 0 (unordered).
func parseVersion(rv string) uint64 {
	v, err := strconv.ParseUint(rv, 10, 64)
	if err != nil {
		return 0
	}
	return v
}

// stale reports whether a read of ref at version v is older than one
// already applied.
func (l *versionLog) stale(ref meta.Ref, v uint64) bool {
	return v != 0 && v < l.seen[ref].version
}

// current reports whether v is the version of ref applied last, and that
// read put it rather than removed it.
func (l *versionLog) current(ref meta.Ref, v uint64) bool {
	m, ok := l.seen[ref]
	return v != 0 && ok && m.version == v && !m.deleted
}

// record notes that a read of ref at version v was applied; deleted says
// it removed ref.
func (l *versionLog) record(ref meta.Ref, v uint64, deleted bool) {
	if v == 0 {
		if deleted {
			delete(l.seen, ref) // an unordered delete forgets the order too
		}
		return
	}
	if l.seen == nil {
		l.seen = map[meta.Ref]mark{}
	}
	l.seen[ref] = mark{version: v, deleted: deleted}
	if !deleted {
		return
	}
	l.gone = append(l.gone, ref)
	if len(l.gone) > maxTombstones {
		old := l.gone[0]
		l.gone[0] = meta.Ref{}
		l.gone = l.gone[1:]
		if m, ok := l.seen[old]; ok && m.deleted {
			delete(l.seen, old)
		}
	}
}
