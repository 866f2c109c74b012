package memory

import (
	"hash/maphash"
	"iter"
	"slices"

	"github.com/certflow/certflow/meta"
)

// objectIndex finds the objects of a kind carrying a label (a Certificate
// looking for the others naming its Secret) and the objects listing an
// owner among their OwnerRefs (the Events of one Certificate, of hundreds
// of thousands), so such a List reads those objects instead of every
// object of the kind. Owners span kinds: one owner's Events, request and
// Secret share one key.
//
// It holds no pointer and no string: a key is a 64-bit hash of the label
// and the kind, or of the owner's reference, and an object is its id
// (objectIDs). Each posting (an object under a key) is 16 bytes in one
// array, threaded both on its key's list and on its object's; the maps of
// refs and label pairs to sets of entry pointers it replaced cost ~600
// bytes a certificate that the garbage collector scanned at every cycle.
// A posting does not hold its key: an object's postings are filed in the
// order of its entry's keys, sorted (keysOf), which never change (entries
// are immutable), so removing them reads the keys from the entry again.
// Two keys whose hashes collide share a list, so what it finds is a
// superset of what is asked for, and List checks every object it reads
// against its options anyway.
//
// Guarded by Store.mu. Since an object keeps its id through updates, an
// update whose labels and owners give the same keys leaves the index as
// it is.
type objectIndex struct {
	seed     maphash.Seed
	heads    map[uint64]postingList
	postings []posting   // by index-1; free ones chained by nextOfObj
	free     uint32      // first free posting, plus one
	byObject []uint32    // each object id's first posting, plus one
	keys     [2][]uint64 // scratch for keysOf
}

// postingList is the postings of a key: its first, plus one, and their
// count.
type postingList struct{ first, n uint32 }

// posting is an object filed under a key. Links are posting indexes plus
// one, 0 for none.
type posting struct {
	id         uint32
	prev, next uint32 // among the key's
	nextOfObj  uint32 // among the object's, last filed first (or the free list)
}

func newObjectIndex() objectIndex {
	return objectIndex{seed: maphash.MakeSeed(), heads: map[uint64]postingList{}}
}

// Key domains, so a label and an owner never hash alike by construction.
const (
	labelKey byte = 'l'
	ownerKey byte = 'o'
)

func (ix *objectIndex) labelKey(kind meta.Kind, k, v string) uint64 {
	var h maphash.Hash
	h.SetSeed(ix.seed)
	h.WriteByte(labelKey)
	h.WriteString(string(kind))
	h.WriteByte(0)
	h.WriteString(k)
	h.WriteByte(0)
	h.WriteString(v)
	return h.Sum64()
}

func (ix *objectIndex) ownerKey(owner meta.Ref) uint64 {
	var h maphash.Hash
	h.SetSeed(ix.seed)
	h.WriteByte(ownerKey)
	h.WriteString(string(owner.Kind))
	h.WriteByte(0)
	h.WriteString(owner.Namespace)
	h.WriteByte(0)
	h.WriteString(owner.Name)
	return h.Sum64()
}

// keysOf returns the keys e is filed under, each once, in order, in the
// scratch buffer buf (valid until its next use).
func (ix *objectIndex) keysOf(e *entry, buf int) []uint64 {
	keys := ix.keys[buf][:0]
	put := func(k uint64) {
		for _, o := range keys {
			if o == k {
				return
			}
		}
		keys = append(keys, k)
	}
	kind := e.scope.Value().kind
	e.eachLabel(func(k, v string) { put(ix.labelKey(kind, k, v)) })
	e.eachOwner(func(owner meta.Ref) { put(ix.ownerKey(owner)) })
	// Sorted: a decoded object's labels come from a Go map, in a new
	// order each time.
	slices.Sort(keys)
	ix.keys[buf] = keys
	return keys
}

// add files the object id, whose entry is e, under e's labels and owners.
func (ix *objectIndex) add(id uint32, e *entry) {
	for _, k := range ix.keysOf(e, 0) {
		ix.file(id, k)
	}
}

// update refiles the object id, whose entry was old and becomes e, if its
// keys changed.
func (ix *objectIndex) update(id uint32, old, e *entry) {
	was, keys := ix.keysOf(old, 0), ix.keysOf(e, 1)
	if slices.Equal(was, keys) {
		return
	}
	ix.unfile(id, was)
	for _, k := range keys {
		ix.file(id, k)
	}
}

// remove takes the object id, whose entry is e, out of the index.
func (ix *objectIndex) remove(id uint32, e *entry) { ix.unfile(id, ix.keysOf(e, 0)) }

func (ix *objectIndex) first(id uint32) uint32 {
	if int(id) < len(ix.byObject) {
		return ix.byObject[id]
	}
	return 0
}

// file adds a posting of id under key, which id is not filed under yet.
func (ix *objectIndex) file(id uint32, key uint64) {
	for int(id) >= len(ix.byObject) {
		ix.byObject = append(ix.byObject, 0)
	}
	p := ix.free
	if p != 0 {
		ix.free = ix.postings[p-1].nextOfObj
	} else {
		ix.postings = append(ix.postings, posting{})
		p = uint32(len(ix.postings))
	}
	l := ix.heads[key]
	ix.postings[p-1] = posting{id: id, next: l.first, nextOfObj: ix.byObject[id]}
	if l.first != 0 {
		ix.postings[l.first-1].prev = p
	}
	ix.heads[key] = postingList{first: p, n: l.n + 1}
	ix.byObject[id] = p
}

// unfile takes the object id, filed under keys, out of the index: each of
// its postings off its key's list (a key left without any is dropped) and
// onto the free list. Its postings are last filed first.
func (ix *objectIndex) unfile(id uint32, keys []uint64) {
	i := len(keys)
	for p := ix.first(id); p != 0; {
		if i--; i < 0 {
			panic("memory: index: an object is filed under more keys than its entry has")
		}
		key := keys[i]
		ps := &ix.postings[p-1]
		l := ix.heads[key]
		if ps.prev != 0 {
			ix.postings[ps.prev-1].next = ps.next
		} else {
			l.first = ps.next
		}
		if ps.next != 0 {
			ix.postings[ps.next-1].prev = ps.prev
		}
		if l.n--; l.n == 0 {
			delete(ix.heads, key)
		} else {
			ix.heads[key] = l
		}
		next := ps.nextOfObj
		*ps = posting{nextOfObj: ix.free}
		ix.free = p
		p = next
	}
	if int(id) < len(ix.byObject) {
		ix.byObject[id] = 0
	}
}

// filed is the objects filed under a key: at least every object carrying
// what the key was made of.
type filed struct {
	ix  *objectIndex
	key uint64
}

func (f filed) len() int { return int(f.ix.heads[f.key].n) }

// ids yields each object filed under the key once.
func (f filed) ids() iter.Seq[uint32] {
	return func(yield func(uint32) bool) {
		for p := f.ix.heads[f.key].first; p != 0; p = f.ix.postings[p-1].next {
			if !yield(f.ix.postings[p-1].id) {
				return
			}
		}
	}
}

// narrowest returns the objects filed under the selector's rarest label
// of kind, or ok false when the selector is empty (every object must be
// looked at).
func (ix *objectIndex) narrowest(kind meta.Kind, selector map[string]string) (f filed, ok bool) {
	for k, v := range selector {
		c := filed{ix, ix.labelKey(kind, k, v)}
		if !ok || c.len() < f.len() {
			f, ok = c, true
		}
	}
	return f, ok
}

// owned returns the objects filed under owner, of every kind.
func (ix *objectIndex) owned(owner meta.Ref) filed { return filed{ix, ix.ownerKey(owner)} }
