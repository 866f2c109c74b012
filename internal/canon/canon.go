// Package canon keeps canonical copies of strings the process holds many
// of (a certificate's DER, a repeated event message): one copy each, an
// allocation without pointers, which the garbage collector marks without
// scanning.
//
// unique.Make does the same at ~7.3 heap objects a copy (the copy, the
// unique map's entry and trie nodes, the weak pointer and its record),
// each marked at every collection; at 100,000 certificates that was a
// fifth of an idle Manager's heap objects. Instead of weak pointers, the
// table counts its holders: the memory store retains a copy for each
// entry it holds that refers to it and releases it when it drops the
// entry, and the table forgets a copy no holder counts. A copy stays valid
// while anything points at it (an entry the store's history or a reader
// still holds, a served certificate): the table only decides which copy a
// later equal string gets. So a count that drifts (a copy a failed write
// made, forgotten while another write was about to store it) costs a
// second copy of a string at worst, never a wrong read.
//
// The table is the process's, as unique's map is, so a serving cache
// finds the copy the memory store holds (Lookup) and serves it instead of
// holding its own.
package canon

import (
	"hash/maphash"
	"sync"
	"unsafe"
)

// Handle refers to a canonical copy; the zero Handle to none.
type Handle struct{ c *head }

// head heads a copy's allocation; the bytes follow it.
type head struct {
	refs  int32 // holders counted; guarded by its shard's mu
	n     int32
	shard uint32 // its shard in the table, so counting hashes nothing
}

const headSize = int(unsafe.Sizeof(head{}))

// Value returns the copy's content, which is never written to.
func (h Handle) Value() string {
	if h.c == nil {
		return ""
	}
	return unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(h.c), headSize)), h.c.n)
}

// newCopy returns a copy of s for the table's shard i.
func newCopy(s string, i uint32) Handle {
	// No pointers: never scanned. At least 16 bytes: the runtime's tiny
	// allocator packs smaller blocks at any byte (an unaligned head), and
	// an empty copy's content would start past its allocation.
	b := make([]byte, max(16, headSize+len(s)))
	copy(b[headSize:], s)
	c := (*head)(unsafe.Pointer(&b[0]))
	c.n, c.shard = int32(len(s)), i
	return Handle{c}
}

// shards split the table so writers of different strings rarely wait on
// each other.
const shards = 32

type shard struct {
	mu sync.Mutex
	m  map[string]Handle // keyed by the copy's own bytes
}

var (
	seed  = maphash.MakeSeed()
	table [shards]shard
)

func shardOf(s string) uint32 { return uint32(maphash.String(seed, s) % shards) }

// Make returns the table's copy of s, made if it holds none. It counts no
// holder: Retain does, once the caller stores it.
func Make(s string) Handle {
	i := shardOf(s)
	sh := &table[i]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if h, ok := sh.m[s]; ok {
		return h
	}
	h := newCopy(s, i)
	if sh.m == nil {
		sh.m = map[string]Handle{}
	}
	sh.m[h.Value()] = h
	return h
}

// Lookup returns the table's copy of b's content, if it holds one: bytes
// never to be written to, valid as long as the caller keeps them.
func Lookup(b []byte) ([]byte, bool) {
	s := unsafe.String(unsafe.SliceData(b), len(b))
	sh := &table[shardOf(s)]
	sh.mu.Lock()
	h, ok := sh.m[s]
	sh.mu.Unlock()
	if !ok {
		return nil, false
	}
	v := h.Value()
	return unsafe.Slice(unsafe.StringData(v), len(v)), true
}

// Retain counts a holder of each of hs.
func Retain(hs []Handle) {
	for _, h := range hs {
		sh := &table[h.c.shard]
		sh.mu.Lock()
		h.c.refs++
		sh.mu.Unlock()
	}
}

// Release uncounts a holder of each of hs, forgetting each copy no holder
// counts any more.
func Release(hs []Handle) {
	for _, h := range hs {
		sh := &table[h.c.shard]
		sh.mu.Lock()
		if h.c.refs--; h.c.refs <= 0 {
			h.c.refs = 0
			sh.dropLocked(h)
		}
		sh.mu.Unlock()
	}
}

// ForgetUnheld forgets each of hs no holder counts: the copies a write made
// and did not store, which nothing would release.
func ForgetUnheld(hs []Handle) {
	for _, h := range hs {
		sh := &table[h.c.shard]
		sh.mu.Lock()
		if h.c.refs == 0 {
			sh.dropLocked(h)
		}
		sh.mu.Unlock()
	}
}

// dropLocked forgets h if it is the table's copy of its content (an equal
// string may have a newer copy there).
func (sh *shard) dropLocked(h Handle) {
	v := h.Value()
	if cur, ok := sh.m[v]; ok && cur == h {
		delete(sh.m, v)
	}
}
