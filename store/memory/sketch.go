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
// the sketch). Equal hashes (44 of their bits: the slot's and the upper
// half) are taken for equal strings: a collision would share a string
// not repeated, which costs memory, never correctness, since the handle
// shared is checked to be s's.
//
// A slot is one word, the hash's upper half beside its count, so the
// check of a string met once reads and writes 8 bytes of a 32 KB array;
// the handle of a string shared sits in an array of its own, read only
// for those. Both are independent atomics: concurrent writers may mix one
// string's count or handle with another's, which costs only a missed or
// a needless share. Each Store has its own.
type repeats struct {
	seed    maphash.Seed
	slots   [repeatSlots]atomic.Uint64
	handles [repeatSlots]atomic.Pointer[strHandle]
}

const (
	repeatSlots  = 4096
	repeatMinLen = 8 // shorter strings cost less inline than a handle saves
	repeatShared = 16
	repeatCount  = 1<<32 - 1 // a slot's count; the rest is its hash's
)

func newRepeats() *repeats { return &repeats{seed: maphash.MakeSeed()} }

// shared reports whether s was offered repeatShared times before (and
// not since pushed out of its slot), with its handle, and counts it.
func (r *repeats) shared(s string) (strHandle, bool) {
	if r == nil {
		return strHandle{}, false
	}
	hash := maphash.String(r.seed, s)
	i := hash & (repeatSlots - 1)
	slot := &r.slots[i]
	if slot.Load()&^repeatCount != hash&^repeatCount {
		slot.Store(hash &^ repeatCount)
		return strHandle{}, false
	}
	if slot.Add(1)&repeatCount <= repeatShared {
		return strHandle{}, false
	}
	// The handle may be an earlier holder's of the slot: it is s's only
	// when its content is.
	if h := r.handles[i].Load(); h != nil && h.Value() == s {
		return *h, true
	}
	h := canon.Make(s) // a copy: s may point into a caller's allocation
	r.handles[i].Store(&h)
	return h, true
}
