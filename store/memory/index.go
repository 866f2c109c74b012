package memory

import (
	"encoding/binary"
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
// (objectIDs). Each posting (an object under a key) is 24 bytes in one
// array, threaded both on its key's list and on its object's; the maps of
// refs and label pairs to sets of entry pointers it replaced cost ~600
// bytes a certificate that the garbage collector scanned at every cycle.
// A posting holds its key, so removing an object's postings needs nothing
// but the index: the keys are not read from the entry again, which would
// have to give exactly the keys it was filed under (8 bytes a posting,
// never scanned, buy that no entry or GetMeta can unbalance the index).
// Two keys whose hashes collide share a list, so what it finds is a
// superset of what is asked for, and List checks every object it reads
// against its options anyway.
//
// Guarded by Store.mu. Since an object keeps its id through updates, an
// update whose labels and owners give the same keys leaves the index as
// it is.
type objectIndex struct {
	seed     maphash.Seed
	mask     uint64 // all ones; tests narrow it so that keys collide
	heads    map[uint64]postingList
	postings []posting   // by index-1; free ones chained by nextOfObj
	free     uint32      // first free posting, plus one
	byObject []uint32    // each object id's first posting, plus one
	keys     [2][]uint64 // scratch for keysOf and filedKeys
}

// postingList is the postings of a key: its first, plus one, and their
// count.
type postingList struct{ first, n uint32 }

// posting is an object filed under a key. Links are posting indexes plus
// one, 0 for none.
type posting struct {
	key        uint64
	id         uint32
	prev, next uint32 // among the key's
	nextOfObj  uint32 // among the object's, last filed first (or the free list)
}

func newObjectIndex() objectIndex {
	return objectIndex{seed: maphash.MakeSeed(), mask: ^uint64(0), heads: map[uint64]postingList{}}
}

// Key domains, so a label and an owner never hash alike by construction.
const (
	labelKey byte = 'l'
	ownerKey byte = 'o'
)

// Each string is hashed after its length, not before a separator: labels
// are not validated and may hold any byte, and with a NUL separator
// ("a\x00b", "c") and ("a", "b\x00c") would hash alike whatever the seed.
func (ix *objectIndex) labelKey(kind meta.Kind, k, v string) uint64 {
	var h maphash.Hash
	h.SetSeed(ix.seed)
	h.WriteByte(labelKey)
	writeField(&h, string(kind))
	writeField(&h, k)
	writeField(&h, v)
	return h.Sum64() & ix.mask
}

func (ix *objectIndex) ownerKey(owner meta.Ref) uint64 {
	var h maphash.Hash
	h.SetSeed(ix.seed)
	h.WriteByte(ownerKey)
	writeField(&h, string(owner.Kind))
	writeField(&h, owner.Namespace)
	writeField(&h, owner.Name)
	return h.Sum64() & ix.mask
}

func writeField(h *maphash.Hash, s string) {
	var n [binary.MaxVarintLen64]byte
	h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
	h.WriteString(s)
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

// update refiles the object id, whose entry becomes e, if its keys
// changed.
func (ix *objectIndex) update(id uint32, e *entry) {
	keys := ix.keysOf(e, 0)
	if slices.Equal(ix.filedKeys(id, 1), keys) {
		return
	}
	ix.unfile(id)
	for _, k := range keys {
		ix.file(id, k)
	}
}

// remove takes the object id out of the index.
func (ix *objectIndex) remove(id uint32) { ix.unfile(id) }

// filedKeys returns the keys id is filed under, sorted, in the scratch
// buffer buf (valid until its next use).
func (ix *objectIndex) filedKeys(id uint32, buf int) []uint64 {
	keys := ix.keys[buf][:0]
	for p := ix.first(id); p != 0; p = ix.postings[p-1].nextOfObj {
		keys = append(keys, ix.postings[p-1].key)
	}
	slices.Sort(keys)
	ix.keys[buf] = keys
	return keys
}

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
	ix.postings[p-1] = posting{key: key, id: id, next: l.first, nextOfObj: ix.byObject[id]}
	if l.first != 0 {
		ix.postings[l.first-1].prev = p
	}
	ix.heads[key] = postingList{first: p, n: l.n + 1}
	ix.byObject[id] = p
}

// unfile takes the object id out of the index: each of its postings off
// its key's list (a key left without any is dropped) and onto the free
// list.
func (ix *objectIndex) unfile(id uint32) {
	for p := ix.first(id); p != 0; {
		ps := &ix.postings[p-1]
		key := ps.key
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

// sameIndexed reports whether slabs a and b, versions of one object,
// carry the same labels (in key order, as slabs keep them) and the same
// owners in the same order, so an update from a to b leaves the index as
// it is: comparing their strings costs less than hashing them into keys
// (status updates, most writes, change neither). False when it cannot
// tell cheaply (an entry kept decoded, owners reordered): the caller then
// refiles by keys.
func sameIndexed(a, b *entry) bool {
	if a.codec() == nil || b.codec() == nil {
		return false
	}
	ra, _ := a.slab().reader(a.viewRef(), false)
	rb, _ := b.slab().reader(b.viewRef(), false)
	skipToLabels(&ra)
	skipToLabels(&rb)
	n := mapLen(ra.uvarint())
	if mapLen(rb.uvarint()) != n {
		return false
	}
	for range 2 * n {
		if ra.string() != rb.string() {
			return false
		}
	}
	for range 2 * mapLen(ra.uvarint()) {
		ra.skipString()
	}
	for range 2 * mapLen(rb.uvarint()) {
		rb.skipString()
	}
	n = mapLen(ra.uvarint())
	if mapLen(rb.uvarint()) != n {
		return false
	}
	for range 3 * n {
		if ra.string() != rb.string() {
			return false
		}
	}
	return true
}

// mapLen is the length a map's or slice's header h gives (nil: 0).
func mapLen(h uint64) uint64 { return max(h, 1) - 1 }
