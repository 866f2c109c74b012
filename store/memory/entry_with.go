package memory

import (
	"slices"
	"unique"
	"unsafe"
)

// An entry and its slab's handles are one allocation when the slab has
// up to four: each is an object the garbage collector marks at every
// cycle (the runtime forces one every 2 minutes however idle the
// process), and ~7 of a certificate's ~8.5 slabs have handles (a
// request's and a Secret's CA, leaf and key; an Event's shared message
// and reporting instance), so a separate array was ~7 objects a
// certificate of ~36 in the whole process at 100,000. The entry heads
// the allocation and p points at the handles after it; an entry is
// immutable, so nothing ever points p elsewhere. A slab with more keeps
// an array of its own, as every slab did.
type (
	entryWith1 struct {
		entry
		h [1]strHandle
	}
	entryWith2 struct {
		entry
		h [2]strHandle
	}
	entryWith3 struct {
		entry
		h [3]strHandle
	}
	entryWith4 struct {
		entry
		h [4]strHandle
	}
)

// slabEntry returns the entry of a slab sealSlab made, scope its kind,
// namespace and codec, holding a copy of strs.
func slabEntry(scope unique.Handle[entryScope], named string, strs []strHandle) *entry {
	e := entry{scope: scope, named: named}
	switch len(strs) {
	case 0:
		return &e
	case 1:
		x := &entryWith1{entry: e, h: [1]strHandle(strs)}
		x.p = unsafe.Pointer(&x.h[0])
		return &x.entry
	case 2:
		x := &entryWith2{entry: e, h: [2]strHandle(strs)}
		x.p = unsafe.Pointer(&x.h[0])
		return &x.entry
	case 3:
		x := &entryWith3{entry: e, h: [3]strHandle(strs)}
		x.p = unsafe.Pointer(&x.h[0])
		return &x.entry
	case 4:
		x := &entryWith4{entry: e, h: [4]strHandle(strs)}
		x.p = unsafe.Pointer(&x.h[0])
		return &x.entry
	}
	e.p = unsafe.Pointer(&slices.Clone(strs)[0])
	return &e
}
