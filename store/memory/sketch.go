package memory

import (
	"hash/maphash"
	"strings"
	"sync/atomic"
	"unique"
)

// repeats tells a slab which mid-length strings other objects also hold,
// so it shares those and keeps the rest inline. A shared string costs a
// handle in each slab and ~300 bytes once (the unique map's entry and its
// part of the map's nodes), so sharing pays for what repeats across
// objects (condition messages, event messages and reasons, the reporting
// instance) and costs for what is one object's own (names, hashes). A
// string is shared when the slot its hash picks already holds it: the
// second and later objects to hold a string share it, and a string met
// once only takes a slot until another takes it over.
//
// Slots are independent atomic pointers: concurrent writers may overwrite
// each other's strings, which costs only a missed share. Each Store has
// its own.
type repeats struct {
	seed  maphash.Seed
	slots [repeatSlots]atomic.Pointer[counted]
}

type counted struct {
	s string
	n atomic.Int32
	// h is s's handle, made the first time s is shared: later writes
	// sharing s take it instead of looking s up in the unique map again.
	h atomic.Pointer[unique.Handle[string]]
}

const (
	repeatSlots  = 4096
	repeatMinLen = 8 // shorter strings cost less inline than a handle saves
	repeatShared = 16
)

func newRepeats() *repeats { return &repeats{seed: maphash.MakeSeed()} }

// shared reports whether s was offered repeatShared times before (and
// not since pushed out of its slot), with its handle, and counts it.
func (r *repeats) shared(s string) (unique.Handle[string], bool) {
	if r == nil {
		return unique.Handle[string]{}, false
	}
	slot := &r.slots[maphash.String(r.seed, s)&(repeatSlots-1)]
	if c := slot.Load(); c != nil && c.s == s {
		if c.n.Add(1) <= repeatShared {
			return unique.Handle[string]{}, false
		}
		if h := c.h.Load(); h != nil {
			return *h, true
		}
		h := unique.Make(c.s)
		c.h.Store(&h)
		return h, true
	}
	slot.Store(&counted{s: strings.Clone(s)}) // s may point into a caller's allocation
	return unique.Handle[string]{}, false
}
