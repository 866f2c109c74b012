package memory

import (
	"hash/maphash"
	"iter"

	"github.com/certflow/certflow/meta"
)

// entryTable holds the entries of one kind, found by ref. An entry holds
// its ref, so the table is an open-addressed array of entry pointers (8
// bytes a slot, at most three quarters full) instead of a Go map from ref
// to entry, whose 48-byte key and slack cost ~95 bytes an object: ~750
// bytes per certificate at 100k, with its Events. Guarded by Store.mu.
type entryTable struct {
	slots []*entry // len a power of two, or 0
	n     int
	seed  maphash.Seed
}

const minTable = 8

func newEntryTable() *entryTable { return &entryTable{seed: maphash.MakeSeed()} }

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
		if e := t.slots[i]; e == nil || e.is(r) {
			return i
		}
	}
}

// get returns the entry of ref, or nil.
func (t *entryTable) get(r meta.Ref) *entry {
	if t == nil || t.n == 0 {
		return nil
	}
	return t.slots[t.find(r)]
}

// put adds e, or replaces the entry of its ref.
func (t *entryTable) put(e *entry) {
	if 4*(t.n+1) > 3*len(t.slots) {
		t.resize(max(minTable, 2*len(t.slots)))
	}
	i := t.find(e.ref())
	if t.slots[i] == nil {
		t.n++
	}
	t.slots[i] = e
}

// remove drops the entry of ref, if any, shifting back the entries that
// probed past it so that every entry stays reachable from its home slot.
func (t *entryTable) remove(r meta.Ref) {
	if t.n == 0 {
		return
	}
	i := t.find(r)
	if t.slots[i] == nil {
		return
	}
	mask := len(t.slots) - 1
	for j := (i + 1) & mask; t.slots[j] != nil; j = (j + 1) & mask {
		// Move the entry at j into the hole at i unless its home lies
		// cyclically in (i, j]: then it is reachable where it is.
		if k := t.home(t.slots[j].ref()); (j-k)&mask >= (j-i)&mask {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = nil
	t.n--
	if len(t.slots) > minTable && 8*t.n < len(t.slots) {
		t.resize(len(t.slots) / 2)
	}
}

func (t *entryTable) resize(size int) {
	old := t.slots
	t.slots = make([]*entry, size)
	for _, e := range old {
		if e != nil {
			t.slots[t.find(e.ref())] = e
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
		for _, e := range t.slots {
			if e != nil && !yield(e) {
				return
			}
		}
	}
}
