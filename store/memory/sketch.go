package memory

import (
	"hash/maphash"
	"sync/atomic"

	"github.com/certflow/certflow/internal/canon"
)

// repeats tells a slab which mid-length strings other objects also hold,
// so it shares those and keeps the rest inline. A shared string costs a
// handle in each slab and a copy once (a heap object, and its slot in the
// Store's table: intern.go), so sharing pays for what repeats across
// objects (condition messages, event messages and reasons, the reporting
// instance) and costs for what is one object's own (names, hashes). A
// string is shared when the slot its hash picks already holds it: the
// second and later objects to hold a string share it, and a string met
// once only takes a slot until another takes it over.
//
// A slot remembers the string last offered there by its hash, not by a
// copy: most strings a write offers are met once (names, hashes, URLs),
// and a copy of each, with the counted struct holding it, was two
// allocations a string (~1.4% of certflow's CPU at 200:8 went to
// the sketch). Equal hashes are taken for equal strings: a collision of
// 64-bit hashes would share a string not repeated, which costs memory,
// never correctness, since the handle shared is checked to be s's.
//
// Slots' fields are independent atomics: concurrent writers may mix one
// string's count or handle with another's, which costs only a missed or
// a needless share. Each Store has its own.
type repeats struct {
	seed  maphash.Seed
	slots [repeatSlots]repeatSlot
}

type repeatSlot struct {
	hash atomic.Uint64
	n    atomic.Int32
	// h is the string's handle, made the first time it is shared: later
	// writes sharing it take it instead of looking it up in the table
	// again.
	h atomic.Pointer[strHandle]
}

const (
	repeatSlots  = 4096
	repeatMinLen = 8 // shorter strings cost less inline than a handle saves
	repeatShared = 16
)

func newRepeats() *repeats { return &repeats{seed: maphash.MakeSeed()} }

// shared reports whether s was offered repeatShared times before (and
// not since pushed out of its slot), with its handle, and counts it.
func (r *repeats) shared(s string) (strHandle, bool) {
	if r == nil {
		return strHandle{}, false
	}
	hash := maphash.String(r.seed, s)
	slot := &r.slots[hash&(repeatSlots-1)]
	if slot.hash.Load() != hash {
		slot.h.Store(nil)
		slot.n.Store(0)
		slot.hash.Store(hash)
		return strHandle{}, false
	}
	if slot.n.Add(1) <= repeatShared {
		return strHandle{}, false
	}
	if h := slot.h.Load(); h != nil && h.Value() == s {
		return *h, true
	}
	h := canon.Make(s) // a copy: s may point into a caller's allocation
	slot.h.Store(&h)
	return h, true
}
