package serve

import (
	"crypto/tls"
	"slices"
	"sync/atomic"

	"github.com/certflow/certflow/internal/dnsname"
)

// nameTable maps folded names to the certificate served for them. Any
// number of handshakes read it without a lock while one writer (holding
// Cache.mu) changes it in place, so a change costs O(1) instead of a copy of
// the index, and is served as soon as the writer stores it.
//
// It is open addressing with linear probing; a slot holds its key and its
// certificate inline, so a hit reads one slot and the key's bytes. (Groups
// of eight one-byte tags in an array of their own, as Go's maps and Swiss
// tables keep them, were measured: a miss got no cheaper, and at 100k names
// every hit read one cache line more, 1.21× a map lookup became 1.31×.)
// What makes lock-free reading safe:
//   - a slot's key is written once, before its tag is stored; a reader that
//     loads a non-zero tag therefore sees the key, which never changes;
//   - a slot, once given a key, keeps it: a deleted name stays as a
//     tombstone (no certificate) until the table is rebuilt, so a probe
//     sequence a reader follows is never cut short or re-keyed under it;
//   - what is served for a key changes by one atomic store of cert.
//
// Growth and clean-up rebuild the slots into a new nameTable, published
// whole by liveTable, which costs O(size) once per Θ(size) changes.
type nameTable struct {
	slots []slot
	mask  uint64
	// claims, used and dead are the writer's: each slot's claimants, the
	// slots holding a key, and those among them that are tombstones.
	claims []claimants
	_      cacheLinePad // used and dead change; what handshakes read does not
	used   int
	dead   int
}

// cacheLinePad keeps the fields before it off the cache line of those after
// it: a field the writer changes must not share a line with one every
// handshake reads, or each change stalls every core's next handshake to
// fetch the line again (false sharing).
type cacheLinePad [64]byte

type slot struct {
	// tag is 0 for an empty slot, else the key's hash with the top bit
	// set (tagOf).
	tag  atomic.Uint64
	key  string
	cert atomic.Pointer[tls.Certificate]
}

// claimants are the loaded Secrets claiming a name; the best of them is
// served (see certEntry.beats). A tombstone is a key that lost its last
// claimant and serves nothing.
type claimants struct {
	entries   []*certEntry
	tombstone bool
}

// tagOf marks a hash as a slot's tag. Only the top bit is forced, so a tag
// starts the same probe sequence as its hash.
func tagOf(h uint64) uint64 { return h | 1<<63 }

// minTableSlots is the smallest table; tables are powers of two.
const minTableSlots = 16

func newNameTable(slots int) *nameTable {
	return &nameTable{slots: make([]slot, slots), claims: make([]claimants, slots), mask: uint64(slots - 1)}
}

// find returns the certificate served for name, in any ASCII case, whose
// folded form hashes to h. It takes no lock and allocates nothing.
func (t *nameTable) find(h uint64, name string) *tls.Certificate {
	tag := tagOf(h)
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		switch s.tag.Load() {
		case 0:
			return nil
		case tag:
			if dnsname.EqualFolded(s.key, name) {
				return s.cert.Load()
			}
		}
	}
}

// probe returns the slot of key (folded, hashing to h): where it is, or the
// empty slot ending its probe sequence, where it would go.
func (t *nameTable) probe(h uint64, key string) (i uint64, found bool) {
	tag := tagOf(h)
	for i = h & t.mask; ; i = (i + 1) & t.mask {
		switch t.slots[i].tag.Load() {
		case 0:
			return i, false
		case tag:
			if t.slots[i].key == key {
				return i, true
			}
		}
	}
}

// liveTable is the current nameTable of one kind of name, replaced whole
// when it is rebuilt. Readers Load it; all other methods are the writer's.
type liveTable struct {
	cur atomic.Pointer[nameTable]
	// hash returns the hash under which a key is filed (exactHash or
	// wildHash, with the index's seed).
	hash func(key string) uint64
	_    cacheLinePad
	// served counts the names with a certificate. Writer only.
	served int
	_      cacheLinePad
}

func (l *liveTable) init(hash func(key string) uint64) {
	l.hash = hash
	l.cur.Store(newNameTable(minTableSlots))
}

// Load returns the table to read.
func (l *liveTable) Load() *nameTable { return l.cur.Load() }

// claim adds c to the claims of key, adding key (serving nothing until
// elect) if it is new. It may rebuild the table first, to keep it at most
// half full.
func (l *liveTable) claim(key string, c *certEntry) {
	h := l.hash(key)
	t := l.cur.Load()
	i, found := t.probe(h, key)
	if !found {
		if 2*(t.used+1) > len(t.slots) {
			t = l.rebuild(t.used - t.dead + 1)
			i, _ = t.probe(h, key)
		}
		t.slots[i].key = key
		t.slots[i].tag.Store(tagOf(h)) // publishes the key
		t.used++
	}
	cl := &t.claims[i]
	if cl.tombstone {
		cl.tombstone = false
		t.dead--
	}
	cl.entries = append(cl.entries, c)
}

// release removes c from the claims of key.
func (l *liveTable) release(key string, c *certEntry) {
	t := l.cur.Load()
	if i, found := t.probe(l.hash(key), key); found {
		cl := &t.claims[i]
		cl.entries = slices.DeleteFunc(cl.entries, func(o *certEntry) bool { return o == c })
		if len(cl.entries) == 0 {
			cl.entries = nil // let the array go with the name
		}
	}
}

// elect serves the best claim of key, or nothing when none is left, which
// makes key a tombstone. It stores only a change, so an unchanged name
// costs readers nothing.
func (l *liveTable) elect(key string) {
	t := l.cur.Load()
	i, found := t.probe(l.hash(key), key)
	if !found {
		return
	}
	cl := &t.claims[i]
	var best *certEntry
	for _, c := range cl.entries {
		if best == nil || c.beats(best) {
			best = c
		}
	}
	var cert *tls.Certificate
	if best != nil {
		cert = best.cert
	}
	if old := t.slots[i].cert.Load(); old != cert {
		t.slots[i].cert.Store(cert)
		switch {
		case old == nil:
			l.served++
		case cert == nil:
			l.served--
		}
	}
	if best == nil && !cl.tombstone {
		cl.tombstone = true
		t.dead++
	}
}

// tidy rebuilds the table when tombstones fill a quarter of it (they
// lengthen probes) or when it is less than a twelfth full (it shrank, and
// gives its memory back). A rebuild leaves a table more than a sixth and at
// most a third full with no tombstone, so either takes Θ(size) deletes
// since, which pay for its O(size).
func (l *liveTable) tidy() {
	t := l.cur.Load()
	live := t.used - t.dead
	if len(t.slots) > minTableSlots && (4*t.dead >= len(t.slots) || 12*live < len(t.slots)) {
		l.rebuild(live)
	}
}

// rebuild copies the keys that are not tombstones, with what they serve
// and their claims, into a new table with room for want keys at most a
// third full, publishes it and returns it. A reader still on the old table
// gets what was served when it was replaced.
func (l *liveTable) rebuild(want int) *nameTable {
	size := minTableSlots
	for size < 3*want {
		size *= 2
	}
	old, t := l.cur.Load(), newNameTable(size)
	for i := range old.slots {
		s, cl := &old.slots[i], &old.claims[i]
		if s.tag.Load() == 0 || cl.tombstone {
			continue
		}
		j, _ := t.probe(s.tag.Load(), s.key)
		t.slots[j].key = s.key
		t.slots[j].cert.Store(s.cert.Load())
		t.slots[j].tag.Store(s.tag.Load())
		t.claims[j] = *cl
		t.used++
	}
	l.cur.Store(t)
	return t
}
