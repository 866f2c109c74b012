package memory

import (
	"hash/maphash"
	"iter"
	"unique"

	"github.com/certflow/certflow/meta"
)

// entryTable holds the objects of one kind, found by ref: an
// open-addressed array of their ids (objectIDs) plus one, 0 for an empty
// slot, at most three quarters full. A Go map from ref to entry cost
// ~95 bytes an object (its 48-byte key and slack), an array of entry
// pointers 8 bytes a slot that the garbage collector scanned; 4 bytes a
// slot without a pointer cost neither. Guarded by Store.mu.
type entryTable struct {
	slots []uint32 // len a power of two, or 0
	n     int
	seed  maphash.Seed
	ids   *objectIDs // the Store's
	// scope is the last created entry's, which the next Create of the
	// kind most often shares (the same namespace).
	scope unique.Handle[entryScope]
}

const minTable = 8

func newEntryTable(ids *objectIDs) *entryTable {
	return &entryTable{seed: maphash.MakeSeed(), ids: ids}
}

func (t *entryTable) home(r meta.Ref) int {
	var h maphash.Hash
	h.SetSeed(t.seed)
	h.WriteString(r.Namespace)
	h.WriteByte(0)
	h.WriteString(r.Name)
	return int(h.Sum64() & uint64(len(t.slots)-1))
}

// find returns the slot of ref, or of the empty slot where it would go.
func (t *entryTable) find(r meta.Ref) int {
	mask := len(t.slots) - 1
	for i := t.home(r); ; i = (i + 1) & mask {
		if s := t.slots[i]; s == 0 || t.ids.entry(s-1).is(r) {
			return i
		}
	}
}

// lookup returns the id of ref and true, or false if it holds none.
func (t *entryTable) lookup(r meta.Ref) (uint32, bool) {
	id, ok, _ := t.lookupSlot(r)
	return id, ok
}

// lookupSlot is lookup that also returns the slot ref is in or would go
// in (-1 when the table has no slots), for a Create's put or a Delete's
// remove to take without probing again: a probe reads an entry, and its
// name in its slab, at every slot it passes, which in a table of 100,000s
// of objects are cache misses.
func (t *entryTable) lookupSlot(r meta.Ref) (uint32, bool, int) {
	if t == nil || len(t.slots) == 0 {
		return 0, false, -1
	}
	i := t.find(r)
	s := t.slots[i]
	return s - 1, s != 0, i
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
	t.putAt(r, id, -1)
}

// putAt is put into slot i, where lookupSlot found r would go (the table
// unchanged since), or -1 to find it.
func (t *entryTable) putAt(r meta.Ref, id uint32, i int) {
	if 4*(t.n+1) > 3*len(t.slots) {
		t.resize(max(minTable, 2*len(t.slots)))
		i = -1
	}
	if i < 0 {
		i = t.find(r)
	}
	t.slots[i] = id + 1
	t.n++
}

// remove drops the object named r, if any, shifting back the ids that
// probed past it so that every id stays reachable from its home slot.
func (t *entryTable) remove(r meta.Ref) {
	if t.n == 0 {
		return
	}
	t.removeAt(t.find(r))
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
		if k := t.home(t.ids.entry(t.slots[j] - 1).viewRef()); (j-k)&mask >= (j-i)&mask {
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
			t.slots[t.find(t.ids.entry(s-1).viewRef())] = s
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
			if s != 0 && !yield(t.ids.entry(s-1)) {
				return
			}
		}
	}
}
