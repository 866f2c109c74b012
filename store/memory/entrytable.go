package memory

import (
	"hash/maphash"
	"iter"
	"math/bits"
	"unique"

	"github.com/certflow/certflow/meta"
)

// entryTable holds the objects of one kind, found by ref: an
// open-addressed array of their ids (objectIDs) plus one, 0 for an empty
// slot, at most three quarters full. A Go map from ref to entry cost
// ~95 bytes an object (its 48-byte key and slack), an array of entry
// pointers 8 bytes a slot that the garbage collector scanned; 4 bytes a
// slot without a pointer cost neither. Guarded by Store.mu.
//
// A slot also holds bits of its ref's hash (its tag) above the id: a
// probe compares a ref with the entry of a slot, reading the entry and
// its name in its slab (cache misses, in a table of many objects), only
// where the tags agree. A Create probes past ~3 slots on average, and up
// to ~8 just before the table grows. The tag takes the bits ids do not
// need below idBits; once an id needs them, the table drops its tags
// (wide) and compares every slot's entry, as before tags.
type entryTable struct {
	slots []uint32 // len a power of two, or 0
	n     int
	// idMask selects a slot's id+1; the bits above are its tag. All
	// ones: wide, no tags.
	idMask uint32
	seed   maphash.Seed
	ids    *objectIDs // the Store's
	// scope is the last created entry's, which the next Create of the
	// kind most often shares (the same namespace).
	scope unique.Handle[entryScope]
}

const (
	minTable = 8
	// idBits leaves 7 bits of tag (a probe past another ref's slot reads
	// its entry once in 128) and room for 33 million objects.
	idBits = 25
)

func newEntryTable(ids *objectIDs) *entryTable {
	return &entryTable{seed: maphash.MakeSeed(), ids: ids, idMask: 1<<idBits - 1}
}

// hash is r's hash: its home slot in the low bits, its tag in the high.
func (t *entryTable) hash(r meta.Ref) uint64 {
	return maphash.String(t.seed, r.Name) ^ bits.RotateLeft64(maphash.String(t.seed, r.Namespace), 29)
}

func (t *entryTable) home(r meta.Ref) int {
	return int(t.hash(r) & uint64(len(t.slots)-1))
}

// tagOf is the tag of hash h as a slot holds it (0 when wide).
func (t *entryTable) tagOf(h uint64) uint32 {
	return uint32(h>>32) &^ t.idMask
}

// idOf is the id in slot value s (not 0).
func (t *entryTable) idOf(s uint32) uint32 {
	return s&t.idMask - 1
}

// find returns the slot of ref, or of the empty slot where it would go,
// and ref's tag.
func (t *entryTable) find(r meta.Ref) (int, uint32) {
	h := t.hash(r)
	tag := t.tagOf(h)
	mask := len(t.slots) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 || s&^t.idMask == tag && t.ids.entry(t.idOf(s)).is(r) {
			return i, tag
		}
	}
}

// lookup returns the id of ref and true, or false if it holds none.
func (t *entryTable) lookup(r meta.Ref) (uint32, bool) {
	id, ok, _ := t.lookupSlot(r)
	return id, ok
}

// slotAt is where lookupSlot found a ref is or would go, and its tag.
type slotAt struct {
	i   int // -1: the table has no slots
	tag uint32
}

// lookupSlot is lookup that also returns the slot ref is in or would go
// in, for a Create's put or a Delete's remove to take without probing
// again.
func (t *entryTable) lookupSlot(r meta.Ref) (uint32, bool, slotAt) {
	if t == nil || len(t.slots) == 0 {
		return 0, false, slotAt{i: -1}
	}
	i, tag := t.find(r)
	s := t.slots[i]
	if s == 0 {
		return 0, false, slotAt{i, tag}
	}
	return t.idOf(s), true, slotAt{i, tag}
}

// get returns the entry of ref, or nil.
func (t *entryTable) get(r meta.Ref) *entry {
	if id, ok := t.lookup(r); ok {
		return t.ids.entry(id)
	}
	return nil
}

// put adds id, the object named r, which the table does not hold.
func (t *entryTable) put(r meta.Ref, id uint32) {
	t.putAt(r, id, slotAt{i: -1})
}

// putAt is put into at, where lookupSlot found r would go (the table
// unchanged since), or anywhere for at.i -1.
func (t *entryTable) putAt(r meta.Ref, id uint32, at slotAt) {
	if id+1 > t.idMask {
		t.widen()
		at.tag = 0
	}
	if 4*(t.n+1) > 3*len(t.slots) {
		t.resize(max(minTable, 2*len(t.slots)))
		at.i = -1
	}
	if at.i < 0 {
		at.i, at.tag = t.find(r)
	}
	t.slots[at.i] = at.tag | (id + 1)
	t.n++
}

// widen drops every slot's tag, for ids that need its bits. Each id stays
// where it is: its home does not change.
func (t *entryTable) widen() {
	for i, s := range t.slots {
		t.slots[i] = s & t.idMask
	}
	t.idMask = ^uint32(0)
}

// remove drops the object named r, if any, shifting back the ids that
// probed past it so that every id stays reachable from its home slot.
func (t *entryTable) remove(r meta.Ref) {
	if t.n == 0 {
		return
	}
	i, _ := t.find(r)
	t.removeAt(i)
}

// removeAt is remove of the object in slot i (lookupSlot's; the table
// unchanged since), if any.
func (t *entryTable) removeAt(i int) {
	if t.slots[i] == 0 {
		return
	}
	mask := len(t.slots) - 1
	for j := (i + 1) & mask; t.slots[j] != 0; j = (j + 1) & mask {
		// Move the id at j into the hole at i unless its home lies
		// cyclically in (i, j]: then it is reachable where it is.
		if k := t.home(t.ids.entry(t.idOf(t.slots[j])).viewRef()); (j-k)&mask >= (j-i)&mask {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = 0
	t.n--
	if len(t.slots) > minTable && 8*t.n < len(t.slots) {
		t.resize(len(t.slots) / 2)
	}
}

func (t *entryTable) resize(size int) {
	old := t.slots
	t.slots = make([]uint32, size)
	for _, s := range old {
		if s != 0 {
			i, _ := t.find(t.ids.entry(t.idOf(s)).viewRef())
			t.slots[i] = s // its tag with it
		}
	}
}

func (t *entryTable) len() int {
	if t == nil {
		return 0
	}
	return t.n
}

// all yields every entry.
func (t *entryTable) all() iter.Seq[*entry] {
	return func(yield func(*entry) bool) {
		if t == nil {
			return
		}
		for _, s := range t.slots {
			if s != 0 && !yield(t.ids.entry(t.idOf(s))) {
				return
			}
		}
	}
}
