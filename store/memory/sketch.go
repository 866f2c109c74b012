package memory

import (
	"hash/maphash"
	"strings"
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
	// sharing s take it instead of looking s up in the table again.
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
	slot := &r.slots[maphash.String(r.seed, s)&(repeatSlots-1)]
	if c := slot.Load(); c != nil && c.s == s {
		if c.n.Add(1) <= repeatShared {
			return strHandle{}, false
		}
		if h := c.h.Load(); h != nil {
			return *h, true
		}
		h := canon.Make(c.s)
		c.h.Store(&h)
		return h, true
	}
	slot.Store(&counted{s: strings.Clone(s)}) // s may point into a caller's allocation
	return strHandle{}, false
}
