package serve

import (
	"hash/maphash"

	"github.com/certflow/certflow/meta"
)

// loadedSecrets finds the loaded entry of each Secret by its reference: an
// open-addressed table (linear probing) of the entries themselves, whose
// reference is the key. A slot is one pointer, 8 bytes for the collector
// to scan, where a map keyed by meta.Ref cost ~105 bytes a Secret with
// three strings in each key. Under Cache.mu.
type loadedSecrets struct {
	seed  maphash.Seed
	slots []*certEntry // nil is empty; the length is zero or a power of two
	n     int
}

// loadedMin is the fewest slots of a table holding anything.
const loadedMin = 16

func (t *loadedSecrets) len() int { return t.n }

// get returns the entry loaded for ref, or nil.
func (t *loadedSecrets) get(ref meta.Ref) *certEntry {
	if t.n == 0 {
		return nil
	}
	mask := len(t.slots) - 1
	for i := t.home(ref) & mask; ; i = (i + 1) & mask {
		e := t.slots[i]
		if e == nil || e.ref == ref {
			return e
		}
	}
}

// set loads e in place of the entry of its reference, which it returns.
func (t *loadedSecrets) set(e *certEntry) (old *certEntry) {
	if (t.n+1)*4 > len(t.slots)*3 {
		t.resize(max(loadedMin, 2*len(t.slots)))
	}
	mask := len(t.slots) - 1
	i := t.home(e.ref) & mask
	for ; t.slots[i] != nil; i = (i + 1) & mask {
		if t.slots[i].ref == e.ref {
			old, t.slots[i] = t.slots[i], e
			return old
		}
	}
	t.slots[i] = e
	t.n++
	return nil
}

// remove drops the entry of ref and returns it, or nil.
func (t *loadedSecrets) remove(ref meta.Ref) *certEntry {
	if t.n == 0 {
		return nil
	}
	mask := len(t.slots) - 1
	i := t.home(ref) & mask
	for ; t.slots[i] == nil || t.slots[i].ref != ref; i = (i + 1) & mask {
		if t.slots[i] == nil {
			return nil
		}
	}
	old := t.slots[i]
	// Shift back what follows in the run, so lookups need no tombstones.
	for j := (i + 1) & mask; t.slots[j] != nil; j = (j + 1) & mask {
		h := t.home(t.slots[j].ref) & mask
		// The entry at j stays unless its home is cyclically outside (i, j].
		if (i < j && i < h && h <= j) || (i > j && (i < h || h <= j)) {
			continue
		}
		t.slots[i] = t.slots[j]
		i = j
	}
	t.slots[i] = nil
	t.n--
	if len(t.slots) > loadedMin && t.n*8 < len(t.slots) {
		t.resize(max(loadedMin, len(t.slots)/4))
	}
	return old
}

// all yields every loaded entry.
func (t *loadedSecrets) all(yield func(*certEntry) bool) {
	for _, e := range t.slots {
		if e != nil && !yield(e) {
			return
		}
	}
}

func (t *loadedSecrets) resize(size int) {
	old := t.slots
	t.slots = make([]*certEntry, size)
	mask := size - 1
	for _, e := range old {
		if e == nil {
			continue
		}
		i := t.home(e.ref) & mask
		for t.slots[i] != nil {
			i = (i + 1) & mask
		}
		t.slots[i] = e
	}
}

func (t *loadedSecrets) home(ref meta.Ref) int {
	if t.seed == (maphash.Seed{}) {
		t.seed = maphash.MakeSeed()
	}
	var h maphash.Hash
	h.SetSeed(t.seed)
	h.WriteString(string(ref.Kind))
	h.WriteByte(0)
	h.WriteString(ref.Namespace)
	h.WriteByte(0)
	h.WriteString(ref.Name)
	return int(h.Sum64() >> 1)
}
