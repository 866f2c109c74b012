package memory

import (
	"sync"
	"unsafe"
)

// A slab shares a long or repeated string (a certificate's DER, a repeated
// event message) through a handle to one canonical copy. unique.Make's
// canonical copies cost ~7.3 heap objects each (the copy, the unique
// map's entry and trie nodes, the weak pointer and its record), which the
// garbage collector marks at every cycle: a leaf certificate's DER, shared
// by its request and its Secret, was 6.4 of the store's 23.4 objects a
// certificate (now 17.0). A store's own table keeps each copy as one allocation
// without pointers (a count and a length, then the bytes), which the
// collector marks without scanning.
//
// unique forgot a copy once nothing held it (weak pointers). The table
// counts instead the entries the store holds that refer to a copy
// (objectIDs retains and releases them under the store's lock) and drops
// a copy from the table when none does. A copy stays valid while anything
// points at it (an entry the history or a reader still holds, a writer's
// handle): the table only decides which copy a later equal string gets.
// So a count that drifts (a writer's copy dropped because another's write
// failed, a handle the sketch kept after its copy was dropped) costs a
// second copy of a string at worst, never a wrong read.

// strHandle refers to a canonical copy.
type strHandle struct{ c *canonHead }

// canonHead heads a canonical copy's allocation; the bytes follow it.
type canonHead struct {
	refs int32 // entries the store holds that refer to it; guarded by interns.mu
	n    int32
}

const canonHeadSize = int(unsafe.Sizeof(canonHead{}))

// Value returns the copy's content, which is never written to.
func (h strHandle) Value() string {
	return unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(h.c), canonHeadSize)), h.c.n)
}

// newCanon returns a canonical copy of s that no table holds.
func newCanon(s string) strHandle {
	b := make([]byte, canonHeadSize+len(s)) // no pointers: never scanned
	copy(b[canonHeadSize:], s)
	c := (*canonHead)(unsafe.Pointer(&b[0]))
	c.n = int32(len(s))
	return strHandle{c}
}

// interns is a store's table of canonical copies, keyed by their content
// (the key's bytes are the copy's own).
type interns struct {
	mu sync.Mutex
	m  map[string]strHandle
}

func newInterns() *interns { return &interns{m: map[string]strHandle{}} }

// intern returns the table's copy of s, made if it holds none. A table of
// nil makes a copy of its own each time.
func (t *interns) intern(s string) strHandle {
	if t == nil {
		return newCanon(s)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if h, ok := t.m[s]; ok {
		return h
	}
	h := newCanon(s)
	t.m[h.Value()] = h
	return h
}

// retain counts an entry the store now holds referring to each of hs.
func (t *interns) retain(hs []strHandle) {
	if t == nil || len(hs) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, h := range hs {
		h.c.refs++
	}
}

// release uncounts an entry the store no longer holds, dropping from the
// table each copy no entry refers to any more.
func (t *interns) release(hs []strHandle) {
	if t == nil || len(hs) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, h := range hs {
		if h.c.refs--; h.c.refs <= 0 {
			h.c.refs = 0
			t.dropLocked(h)
		}
	}
}

// forgetUnheld drops from the table each of hs that no entry refers to:
// the copies a write made and did not store (it failed), which nothing
// would release.
func (t *interns) forgetUnheld(hs []strHandle) {
	if t == nil || len(hs) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, h := range hs {
		if h.c.refs == 0 {
			t.dropLocked(h)
		}
	}
}

// dropLocked drops h from the table if it is the table's copy of its
// content (an equal string may have a newer copy there).
func (t *interns) dropLocked(h strHandle) {
	v := h.Value()
	if cur, ok := t.m[v]; ok && cur == h {
		delete(t.m, v)
	}
}

// len is how many copies the table holds.
func (t *interns) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}

// handles returns the canonical copies the entry's slab refers to (none
// for an object kept decoded).
func (e *entry) handles() []strHandle {
	if e == nil || e.p == nil || e.codec() == nil {
		return nil
	}
	return e.slab().shared()
}
