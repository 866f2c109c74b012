package serve

import (
	"crypto/tls"
	"math/bits"
	"slices"
	"sync/atomic"

	"github.com/certflow/certflow/internal/dnsname"
)

// nameTable maps folded names to the certificate served for them. Any
// number of handshakes read it without a lock while one writer (holding
// Cache.mu) changes it in place, so a change costs O(1) instead of a copy of
// the index, and is served as soon as the writer stores it.
//
// It is open addressing in groups of eight slots, probed group after group
// (a "Swiss table", as Go's own maps): each slot has a control byte, 0 when
// empty, else its key's tag (seven bits of the key's hash, and the top bit
// set), and a group's eight bytes are one word. A lookup loads that word and
// finds in a few instructions which slots may hold its name and whether the
// group has room (which ends the probe), so a miss costs one load and no
// loop over slots. (The exact table's sketch spares most names served by a
// wildcard even that miss and the hash before it: sketch.go.) What makes
// lock-free reading safe:
//   - a slot's key is written once, before its control byte is stored; a
//     reader that loads a non-zero byte therefore sees the key, which never
//     changes, and a reader reads only keys whose byte it loaded;
//   - a slot, once given a key, keeps it: a deleted name stays as a
//     tombstone (no certificate) until the table is rebuilt, so a probe
//     sequence a reader follows is never cut short or re-keyed under it;
//   - what is served for a key changes by one atomic store of cert.
//
// Growth and clean-up rebuild the slots into a new nameTable, published
// whole by liveTable, which costs O(size) once per Θ(size) changes.
type nameTable struct {
	// ctrl holds the control bytes of group g in ctrl[g], slot g*8+j in its
	// byte j (little-endian).
	ctrl      []atomic.Uint64
	slots     []slot
	groupMask uint64
	// sketch, in the exact table only (else its words are nil), tells a
	// lookup that its name is none of the keys (sketch.go).
	sketch sketch
	// notPlain is set, before the key is published, once the table holds
	// a key that is not plain (keymatch.go), and then stays set until a
	// rebuild: while it is clear every key is compared by equalPlainKey.
	notPlain atomic.Bool
	// claims, tomb, used and dead are the writer's: each slot's first
	// claimant (liveTable.more holds the others), whether it is a
	// tombstone (bit i%64 of tomb[i/64]), the slots holding a key, and
	// those among them that are tombstones. One pointer a slot, where a
	// slice of claimants and a flag cost 32 bytes and an array a name.
	claims []*certEntry
	tomb   []uint64
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
	key  string
	cert atomic.Pointer[tls.Certificate]
}

// The loaded Secrets claiming a name are its claimants; the best of them
// is served (see certEntry.beats). A tombstone is a key that lost its last
// claimant and serves nothing.

// tombstone reports whether slot i is a tombstone.
func (t *nameTable) tombstone(i uint64) bool { return t.tomb[i/64]>>(i%64)&1 != 0 }

// setTombstone makes slot i a tombstone, or a key again.
func (t *nameTable) setTombstone(i uint64, on bool) {
	if on {
		t.tomb[i/64] |= 1 << (i % 64)
	} else {
		t.tomb[i/64] &^= 1 << (i % 64)
	}
}

const (
	// groupSlots is the number of slots whose control bytes share a word.
	groupSlots = 8
	// minTableSlots is the smallest table; tables are powers of two.
	minTableSlots = 2 * groupSlots
	lowBits       = 0x0101010101010101
	highBits      = 0x8080808080808080
)

// tagOf is the control byte of a key hashing to h: its top seven bits, and
// the top bit set so that it is never 0 (empty). The group comes from the
// low bits, so the two are independent.
func tagOf(h uint64) uint64 { return h>>57 | 0x80 }

// matching returns the high bit of each byte of ctrl equal to tag (exactly:
// no byte is flagged that does not match, so no slot still being written is
// read).
func matching(ctrl, tag uint64) uint64 {
	x := ctrl ^ tag*lowBits
	return ^((x&^highBits + ^uint64(highBits)) | x | ^uint64(highBits))
}

// empties returns the high bit of each empty slot's byte of ctrl.
func empties(ctrl uint64) uint64 { return ^ctrl & highBits }

func newNameTable(slots int, sketched bool, sketchSeed uint64) *nameTable {
	t := &nameTable{
		ctrl:      make([]atomic.Uint64, slots/groupSlots),
		slots:     make([]slot, slots),
		claims:    make([]*certEntry, slots),
		tomb:      make([]uint64, (slots+63)/64),
		groupMask: uint64(slots/groupSlots - 1),
	}
	if sketched {
		t.sketch = newSketch(slots, sketchSeed)
	}
	return t
}

// find returns the certificate served for name, in any ASCII case, whose
// folded form hashes to h. It takes no lock and allocates nothing.
//
// Its own loop compares plain keys (keymatch.go) of eight bytes or more,
// what nearly every lookup meets, with no call in it: a call that returned
// into the loop made find keep its registers on the stack around it, and
// spill them at every entry. Shorter names, and tables holding a key that
// is not plain, go to findFolded, in tail position, so nothing is live
// across that call.
func (t *nameTable) find(h uint64, name string) *tls.Certificate {
	n := len(name)
	if n < 8 {
		return t.findFolded(h, name)
	}
	tag := tagOf(h)
	for g := h & t.groupMask; ; g = (g + 1) & t.groupMask {
		ctrl := t.ctrl[g].Load()
	candidates:
		for m := matching(ctrl, tag); m != 0; m &= m - 1 {
			s := &t.slots[g*groupSlots+uint64(bits.TrailingZeros64(m)/8)]
			key := s.key
			if len(key) != n {
				continue
			}
			// notPlain is read after the control byte, which was stored
			// after it, so a key that is not plain is never compared as if
			// it were; findFolded probes again from the start.
			if t.notPlain.Load() {
				return t.findFolded(h, name)
			}
			for i := 0; i < n-8; i += 8 {
				if !matchesPlain(load8(name, i), load8(key, i)) {
					continue candidates
				}
			}
			if !matchesPlain(load8(name, n-8), load8(key, n-8)) {
				continue
			}
			return s.cert.Load()
		}
		if empties(ctrl) != 0 {
			return nil
		}
	}
}

// findFolded is find for names under eight bytes and for tables that hold
// a key that is not plain, which it compares with dnsname.EqualFolded.
func (t *nameTable) findFolded(h uint64, name string) *tls.Certificate {
	tag, n := tagOf(h), len(name)
	for g := h & t.groupMask; ; g = (g + 1) & t.groupMask {
		ctrl := t.ctrl[g].Load()
		for m := matching(ctrl, tag); m != 0; m &= m - 1 {
			s := &t.slots[g*groupSlots+uint64(bits.TrailingZeros64(m)/8)]
			key := s.key
			if len(key) != n {
				continue
			}
			// As in find: notPlain after the control byte.
			if t.notPlain.Load() {
				if !dnsname.EqualFolded(key, name) {
					continue
				}
			} else if !equalPlainKey(key, name) {
				continue
			}
			return s.cert.Load()
		}
		if empties(ctrl) != 0 {
			return nil
		}
	}
}

// probe returns the slot of key (folded, hashing to h): where it is, or the
// first empty slot of its probe sequence, where it would go. Writer only.
func (t *nameTable) probe(h uint64, key string) (i uint64, found bool) {
	tag := tagOf(h)
	for g := h & t.groupMask; ; g = (g + 1) & t.groupMask {
		ctrl := t.ctrl[g].Load()
		for m := matching(ctrl, tag); m != 0; m &= m - 1 {
			i = g*groupSlots + uint64(bits.TrailingZeros64(m)/8)
			if t.slots[i].key == key {
				return i, true
			}
		}
		if e := empties(ctrl); e != 0 {
			return g*groupSlots + uint64(bits.TrailingZeros64(e)/8), false
		}
	}
}

// fill gives the empty slot i key (hashing to h) and then publishes it by
// storing its control byte. Writer only.
func (t *nameTable) fill(i, h uint64, key string) {
	t.slots[i].key = key
	if t.sketch.words != nil {
		t.sketch.add(key)
	}
	if !plainKey(key) && !t.notPlain.Load() {
		t.notPlain.Store(true)
	}
	g, shift := i/groupSlots, 8*(i%groupSlots)
	t.ctrl[g].Store(t.ctrl[g].Load() | tagOf(h)<<shift)
	t.used++
}

// keyed reports whether slot i holds a key. Writer only.
func (t *nameTable) keyed(i int) bool {
	return t.ctrl[i/groupSlots].Load()>>(8*(i%groupSlots))&0xff != 0
}

// liveTable is the current nameTable of one kind of name, replaced whole
// when it is rebuilt. Readers Load it; all other methods are the writer's.
type liveTable struct {
	cur atomic.Pointer[nameTable]
	// hash returns the hash under which a key is filed (exactHash or
	// wildHash, with the index's seed).
	hash func(key string) uint64
	// sketched gives each table a sketch of its keys, seeded with
	// sketchSeed (the exact table's; see sketch.go).
	sketched   bool
	sketchSeed uint64
	_          cacheLinePad
	// served counts the names with a certificate. Writer only.
	served int
	// more holds, by key, the claimants of a name after the one its slot
	// holds (nameTable.claims): few names have any. Writer only.
	more map[string][]*certEntry
	_    cacheLinePad
}

func (l *liveTable) init(hash func(key string) uint64) {
	l.hash = hash
	l.cur.Store(newNameTable(minTableSlots, l.sketched, l.sketchSeed))
}

// initSketched is init for a table whose lookups ask its sketch first.
func (l *liveTable) initSketched(hash func(key string) uint64, sketchSeed uint64) {
	l.sketched, l.sketchSeed = true, sketchSeed
	l.init(hash)
}

// Load returns the table to read.
func (l *liveTable) Load() *nameTable { return l.cur.Load() }

// claim adds c to the claims of key, adding key (serving nothing until
// elect) if it is new. It may rebuild the table first, to keep it at most
// seven eighths full (keys and tombstones), as Go's own maps are: a probe
// reads a group's eight control bytes at once, so a dense table costs a
// hit nothing more, and half the memory of one kept at most half full is
// half the cache lines and pages a lookup among 100k names can miss in.
func (l *liveTable) claim(key string, c *certEntry) {
	h := l.hash(key)
	t := l.cur.Load()
	i, found := t.probe(h, key)
	if !found {
		if 8*(t.used+1) > 7*len(t.slots) {
			t = l.rebuild(t.used - t.dead + 1)
			i, _ = t.probe(h, key)
		}
		t.fill(i, h, key)
	}
	if t.tombstone(i) {
		t.setTombstone(i, false)
		t.dead--
	}
	if t.claims[i] == nil {
		t.claims[i] = c
		return
	}
	if l.more == nil {
		l.more = map[string][]*certEntry{}
	}
	l.more[key] = append(l.more[key], c)
}

// release removes c from the claims of key.
func (l *liveTable) release(key string, c *certEntry) {
	t := l.cur.Load()
	i, found := t.probe(l.hash(key), key)
	if !found {
		return
	}
	more := l.more[key]
	switch {
	case t.claims[i] == c && len(more) > 0:
		t.claims[i] = more[len(more)-1]
		// Cleared, or the array past more's end would hold the entry
		// after it goes from the slot too (its certificate and key).
		more[len(more)-1] = nil
		more = more[:len(more)-1]
	case t.claims[i] == c:
		t.claims[i] = nil
	default:
		more = slices.DeleteFunc(more, func(o *certEntry) bool { return o == c })
	}
	if len(more) == 0 {
		delete(l.more, key) // let the array go with the claims
	} else {
		l.more[key] = more
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
	best := t.claims[i]
	for _, c := range l.more[key] {
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
	if best == nil && !t.tombstone(i) {
		t.setTombstone(i, true)
		t.dead++
	}
}

// tidy rebuilds the table when tombstones fill a quarter of it (they
// lengthen probes) or when it is less than a twelfth full (it shrank, and
// gives its memory back). A rebuild leaves a table more than a third and at
// most two thirds full with no tombstone, so either takes Θ(size) deletes
// since, which pay for its O(size).
func (l *liveTable) tidy() {
	t := l.cur.Load()
	live := t.used - t.dead
	if len(t.slots) > minTableSlots && (4*t.dead >= len(t.slots) || 12*live < len(t.slots)) {
		l.rebuild(live)
	}
}

// rebuild copies the keys that are not tombstones, with what they serve
// and their claims, into a new table with room for want keys at most two
// thirds full, publishes it and returns it. A reader still on the old table
// gets what was served when it was replaced.
func (l *liveTable) rebuild(want int) *nameTable {
	size := minTableSlots
	for 2*size < 3*want {
		size *= 2
	}
	old, t := l.cur.Load(), newNameTable(size, l.sketched, l.sketchSeed)
	for i := range old.slots {
		s := &old.slots[i]
		if !old.keyed(i) || old.tombstone(uint64(i)) {
			continue
		}
		h := l.hash(s.key)
		j, _ := t.probe(h, s.key)
		t.slots[j].cert.Store(s.cert.Load())
		t.claims[j] = old.claims[i]
		t.fill(j, h, s.key) // t is not published yet: the order is moot
	}
	l.cur.Store(t)
	return t
}
