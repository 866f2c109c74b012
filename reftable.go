package certflow

import (
	"hash/maphash"

	"github.com/certflow/certflow/meta"
)

// refTable interns object references, each with a value T: each gets a
// small integer id that an index links by, so a reference is held once
// however many links name it, as the place of its name in names and a
// 4-byte scope (its kind and namespace, which a whole Store shares among a
// few) rather than a 48-byte meta.Ref; and finding it costs a 4-byte slot
// instead of a Go map entry (~90 bytes apiece with a map's load factor).
// With a T without pointers its entries hold none, so the collector does
// not scan them. At 100k certificates the owner index holds some 700k
// objects.
// Not safe for concurrent use: its index locks.
type refTable[T any] struct {
	seed maphash.Seed
	// slots is an open-addressed (linear probing) table of id+1; 0 is empty.
	// Its length is a power of two.
	slots   []int32
	entries []refEntry[T] // by id; a free id holds the zero entry
	names   refNames      // the entries' names
	texts   refNames      // strings of the values (refText)
	free    []int32       // ids to reuse
	// scopes are the kinds and namespaces of the entries, each with how
	// many entries use it; scopeIDs finds them, freeScopes are reusable.
	scopes     []refScope
	scopeIDs   map[refScopeKey]int32
	freeScopes []int32
}

type refEntry[T any] struct {
	name  uint32 // its place in refTable.names
	scope int32
	val   T
}

type refScopeKey struct {
	kind      meta.Kind
	namespace string
}

type refScope struct {
	refScopeKey
	uses int32
}

// refTableMin is the fewest slots a table has once anything is in it.
const refTableMin = 64

// len returns how many references are interned.
func (t *refTable[T]) len() int { return len(t.entries) - len(t.free) }

// ref returns the reference interned as id.
func (t *refTable[T]) ref(id int32) meta.Ref {
	e := &t.entries[id]
	sc := &t.scopes[e.scope]
	return meta.Ref{Kind: sc.kind, Namespace: sc.namespace, Name: string(t.names.name(e.name))}
}

// is reports whether id is interned as ref, reading no string out.
func (t *refTable[T]) is(id int32, ref meta.Ref) bool {
	e := &t.entries[id]
	sc := &t.scopes[e.scope]
	return sc.kind == ref.Kind && sc.namespace == ref.Namespace && string(t.names.name(e.name)) == ref.Name
}

// kindOf returns the kind of the reference interned as id.
func (t *refTable[T]) kindOf(id int32) meta.Kind { return t.scopes[t.entries[id].scope].kind }

// namespaceOf returns the namespace of the reference interned as id.
func (t *refTable[T]) namespaceOf(id int32) string { return t.scopes[t.entries[id].scope].namespace }

// at returns the value of id, to read or change in place.
func (t *refTable[T]) at(id int32) *T { return &t.entries[id].val }

// lookup returns ref's id, if interned.
func (t *refTable[T]) lookup(ref meta.Ref) (int32, bool) {
	if len(t.slots) == 0 {
		return 0, false
	}
	scope, ok := t.scopeIDs[refScopeKey{ref.Kind, ref.Namespace}]
	if !ok {
		return 0, false
	}
	mask := len(t.slots) - 1
	for i := t.home(ref) & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			return 0, false
		}
		if e := &t.entries[s-1]; e.scope == scope && string(t.names.name(e.name)) == ref.Name {
			return s - 1, true
		}
	}
}

// intern returns ref's id, interning it first (with a zero value) if need
// be; added tells whether it was new.
func (t *refTable[T]) intern(ref meta.Ref) (id int32, added bool) {
	if id, ok := t.lookup(ref); ok {
		return id, false
	}
	if (t.len()+1)*4 > len(t.slots)*3 {
		t.rehash(max(refTableMin, 2*len(t.slots)))
	}
	e := refEntry[T]{name: t.names.put(ref.Name), scope: t.useScope(ref)}
	if n := len(t.free); n > 0 {
		id = t.free[n-1]
		t.free = t.free[:n-1]
		t.entries[id] = e
	} else {
		id = int32(len(t.entries))
		t.entries = append(t.entries, e)
	}
	t.place(id)
	return id, true
}

// useScope returns the scope of ref, counting one more use of it.
func (t *refTable[T]) useScope(ref meta.Ref) int32 {
	k := refScopeKey{ref.Kind, ref.Namespace}
	id, ok := t.scopeIDs[k]
	switch {
	case ok:
	case len(t.freeScopes) > 0:
		id = t.freeScopes[len(t.freeScopes)-1]
		t.freeScopes = t.freeScopes[:len(t.freeScopes)-1]
		t.scopes[id] = refScope{refScopeKey: k}
	default:
		id = int32(len(t.scopes))
		t.scopes = append(t.scopes, refScope{refScopeKey: k})
	}
	if t.scopeIDs == nil {
		t.scopeIDs = map[refScopeKey]int32{}
	}
	t.scopeIDs[k] = id
	t.scopes[id].uses++
	return id
}

// release forgets the reference interned as id and its value; id may be
// reused.
func (t *refTable[T]) release(id int32) {
	mask := len(t.slots) - 1
	i := t.homeOf(id) & mask
	for t.slots[i] != id+1 {
		i = (i + 1) & mask
	}
	// Shift back what follows in the run, so lookups need no tombstones.
	for j := (i + 1) & mask; t.slots[j] != 0; j = (j + 1) & mask {
		h := t.homeOf(t.slots[j]-1) & mask
		// The entry at j stays unless its home is cyclically outside (i, j].
		if (i < j && i < h && h <= j) || (i > j && (i < h || h <= j)) {
			continue
		}
		t.slots[i] = t.slots[j]
		i = j
	}
	t.slots[i] = 0
	sc := &t.scopes[t.entries[id].scope]
	if sc.uses--; sc.uses == 0 {
		delete(t.scopeIDs, sc.refScopeKey)
		*sc = refScope{}
		t.freeScopes = append(t.freeScopes, t.entries[id].scope)
	}
	t.names.release(t.entries[id].name)
	t.dropTexts(id)
	t.entries[id] = refEntry[T]{name: refNameFree}
	t.free = append(t.free, id)
	if t.names.wasteful() {
		t.compactNames()
	}
	if t.texts.wasteful() {
		t.compactTexts()
	}
}

// compactNames takes a compaction step over the names (refNames.compact);
// a free id's name is refNameFree.
func (t *refTable[T]) compactNames() {
	t.names.compact(func(from int, visit func(*uint32)) int {
		to := min(from+refNameScan, len(t.entries))
		for id := from; id < to; id++ {
			visit(&t.entries[id].name)
		}
		if to == len(t.entries) {
			return -1
		}
		return to
	})
}

// freeIDs returns, by id, whether it is free.
func (t *refTable[T]) freeIDs() []bool {
	free := make([]bool, len(t.entries))
	for _, id := range t.free {
		free[id] = true
	}
	return free
}

func (t *refTable[T]) place(id int32) {
	mask := len(t.slots) - 1
	i := t.homeOf(id) & mask
	for t.slots[i] != 0 {
		i = (i + 1) & mask
	}
	t.slots[i] = id + 1
}

func (t *refTable[T]) rehash(size int) {
	free := t.freeIDs()
	t.slots = make([]int32, size)
	for id := range t.entries {
		if !free[id] {
			t.place(int32(id))
		}
	}
}

func (t *refTable[T]) home(ref meta.Ref) int {
	var h maphash.Hash
	t.hashScope(&h, ref.Kind, ref.Namespace)
	h.WriteString(ref.Name)
	return int(h.Sum64() >> 1)
}

// homeOf is the home of the reference interned as id.
func (t *refTable[T]) homeOf(id int32) int {
	e := &t.entries[id]
	sc := &t.scopes[e.scope]
	var h maphash.Hash
	t.hashScope(&h, sc.kind, sc.namespace)
	h.Write(t.names.name(e.name))
	return int(h.Sum64() >> 1)
}

// hashScope starts h, the hash of a reference of kind in namespace; its
// name comes next.
func (t *refTable[T]) hashScope(h *maphash.Hash, kind meta.Kind, namespace string) {
	if t.seed == (maphash.Seed{}) {
		t.seed = maphash.MakeSeed()
	}
	h.SetSeed(t.seed)
	h.WriteString(string(kind))
	h.WriteByte(0)
	h.WriteString(namespace)
	h.WriteByte(0)
}
