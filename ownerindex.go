package certflow

import (
	"iter"
	"maps"
	"slices"
	"sync"

	"github.com/certflow/certflow/meta"
)

// ownerIndex remembers each object's owners as last listed or watched, so
// the Manager checks an object's owners before reconciling it without
// reading the object first, and knows which kinds own anything at all. It
// also remembers when objects were created and owners deleted (as store
// revisions), to tell an owner's children from those of a later object of
// the same name.
//
// At 100k certificates it holds some 700k objects (each certificate's
// request, Secrets and Events, and what owns them), so it is laid out for
// size: every object is interned once (refTable); an object with one owner
// (most of them) names it in its node and is threaded on the owner's
// children by a 4-byte sibling link, and each ownership of an object with
// several owners is one 16-byte edge threaded on two lists, its owner's
// children and its child's owners, instead of maps of reference slices
// both ways (~1,800 bytes per certificate before, see docs/memory.md).
type ownerIndex struct {
	mu sync.Mutex
	// ids interns every object that owns or is owned, with its node.
	ids refTable[ownerNode]
	// edges[0] is unused, so that 0 ends a list; freeEdges are reusable.
	edges     []ownerEdge
	freeEdges []int32
	// sibling[id], for an object with one owner (which has no edge: its
	// node names the owner, see ownerNode.owners), is the link after it on
	// its owner's children; zero for any other object, and it only grows
	// to the largest such id.
	sibling []int32
	// deleted is the revision each recently deleted object was deleted at.
	deleted recentDeletions
	// kinds that appeared as an owner; nil until the first resync, when
	// every kind may own something.
	kinds map[meta.Kind]bool
}

// ownerNode is what an ownerIndex knows of one object. An object is
// interned while it has owners or children.
type ownerNode struct {
	// created bounds the object's creation revision from above: the
	// revision of its Added event, or of the list it was first seen in;
	// zero if unknown (and once it has no owners).
	// Its top bit (presentBit) is not part of it: see present.
	created uint64
	// owners is the first edge of its owners, or for an object with one
	// owner -(owner's id+1), without an edge (most objects: 4 bytes in
	// sibling instead of a 16-byte edge). children is the first link of
	// its children: an edge (> 0), or -(child's id+1) for a child with
	// only this owner, whose next link is sibling[child]; 0 ends a list.
	owners, children int32
}

// presentBit, in ownerNode.created, says the object itself was listed, or
// its latest change the watch delivered was not a deletion, so it existed
// at the watch's position (see knownPresent). heldBit says the Manager
// deleted it (or learnt it gone) before the watch delivered that deletion:
// until it does, changes the watch delivers are older than the deletion
// and must not make it present again, or Manager.Delete would find the
// Certificate it just deleted present and keep its requests. goneBit says
// the latest change the watch delivered was its deletion, so a deletion
// the Manager learns of after that holds nothing back. Kept in bits no
// revision reaches, so a node stays 16 bytes.
const (
	presentBit = uint64(1) << 63
	heldBit    = uint64(1) << 62
	goneBit    = uint64(1) << 61
	flagBits   = presentBit | heldBit | goneBit
)

func (n *ownerNode) createdAt() uint64 { return n.created &^ flagBits }

func (n *ownerNode) setCreated(rev uint64) { n.created = n.created&flagBits | rev&^flagBits }

func (n *ownerNode) present() bool { return n.created&presentBit != 0 }

func (n *ownerNode) held() bool { return n.created&heldBit != 0 }

func (n *ownerNode) setFlag(bit uint64, on bool) {
	if on {
		n.created |= bit
	} else {
		n.created &^= bit
	}
}

func (n *ownerNode) setPresent(p bool) { n.setFlag(presentBit, p) }

// ownerEdge says owner owns child, and links the next edge of each list.
type ownerEdge struct {
	owner, child         int32
	nextOwner, nextChild int32
}

func (x *ownerIndex) of(ref meta.Ref) []meta.Ref { return x.appendOf(nil, ref) }

// appendOf is of, appending to dst: a caller that only reads the owners
// passes an array of its own, and the owner check before every visit
// allocated a slice for its one owner.
func (x *ownerIndex) appendOf(dst []meta.Ref, ref meta.Ref) []meta.Ref {
	x.mu.Lock()
	defer x.mu.Unlock()
	id, ok := x.ids.lookup(ref)
	if !ok {
		return dst
	}
	for o := range x.ownerIDsLocked(id) {
		dst = append(dst, x.ids.ref(o))
	}
	return dst
}

// appendCertificates appends to dst the Certificates among owners and, up
// to depth steps, among their owners as the index holds them: what
// following of from owners finds, under one lock, building a reference
// for the Certificates only (the watch asks it for every change of an
// issuance's request, order and challenges: missGate.observe).
func (x *ownerIndex) appendCertificates(dst, owners []meta.Ref, depth int) []meta.Ref {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, o := range owners {
		switch {
		case o.Kind == meta.KindCertificate:
			dst = append(dst, o)
		case depth > 1:
			if id, ok := x.ids.lookup(o); ok {
				dst = x.appendCertificatesLocked(dst, id, depth-1)
			}
		}
	}
	return dst
}

func (x *ownerIndex) appendCertificatesLocked(dst []meta.Ref, id int32, depth int) []meta.Ref {
	for o := range x.ownerIDsLocked(id) {
		switch {
		case x.ids.kindOf(o) == meta.KindCertificate:
			dst = append(dst, x.ids.ref(o))
		case depth > 1:
			dst = x.appendCertificatesLocked(dst, o, depth-1)
		}
	}
	return dst
}

// ownerIDsLocked yields the ids of id's owners, in order.
func (x *ownerIndex) ownerIDsLocked(id int32) iter.Seq[int32] {
	return func(yield func(int32) bool) {
		e := x.ids.at(id).owners
		if e < 0 {
			yield(-e - 1)
			return
		}
		for ; e != 0; e = x.edges[e].nextOwner {
			if !yield(x.edges[e].owner) {
				return
			}
		}
	}
}

// childLocked returns the child link l names and the link after it.
func (x *ownerIndex) childLocked(l int32) (child, next int32) {
	if l > 0 {
		return x.edges[l].child, x.edges[l].nextChild
	}
	return -l - 1, x.sibling[-l-1]
}

// unthreadChildLocked removes link l from owner's children.
func (x *ownerIndex) unthreadChildLocked(owner, l int32) {
	_, next := x.childLocked(l)
	if n := x.ids.at(owner); n.children == l {
		n.children = next
		return
	}
	p := x.ids.at(owner).children
	for {
		_, pn := x.childLocked(p)
		if pn == l {
			break
		}
		p = pn
	}
	if p > 0 {
		x.edges[p].nextChild = next
	} else {
		x.sibling[-p-1] = next
	}
}

// set records ref's owners; createdAt, if not zero, is the revision ref was
// created at.
func (x *ownerIndex) set(ref meta.Ref, owners []meta.Ref, createdAt uint64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.setLocked(ref, owners, createdAt)
	if x.kinds != nil {
		for _, o := range owners {
			x.kinds[o.Kind] = true
		}
	}
}

func (x *ownerIndex) setLocked(ref meta.Ref, owners []meta.Ref, createdAt uint64) {
	if len(owners) == 0 {
		x.forgetLocked(ref)
		return
	}
	id := x.internLocked(ref)
	if !x.ownersAreLocked(id, owners) {
		x.unlinkOwnersLocked(id)
		if !slices.ContainsFunc(owners[1:], func(o meta.Ref) bool { return o != owners[0] }) {
			oid := x.internLocked(owners[0])
			if int(id) >= len(x.sibling) {
				x.sibling = append(x.sibling, make([]int32, int(id)+1-len(x.sibling))...)
			}
			x.sibling[id] = x.ids.at(oid).children
			x.ids.at(oid).children = -(id + 1)
			x.ids.at(id).owners = -(oid + 1)
			if createdAt != 0 {
				x.ids.at(id).setCreated(createdAt)
			}
			return
		}
		last := int32(0)
		for _, o := range owners {
			if x.ownsLocked(o, id) {
				continue // listed twice: one edge
			}
			oid := x.internLocked(o)
			e := x.newEdgeLocked(ownerEdge{owner: oid, child: id, nextChild: x.ids.at(oid).children})
			x.ids.at(oid).children = e
			if last == 0 {
				x.ids.at(id).owners = e
			} else {
				x.edges[last].nextOwner = e
			}
			last = e
		}
	}
	if createdAt != 0 {
		x.ids.at(id).setCreated(createdAt)
	}
}

// ownersAreLocked reports whether id's owners are owners, in order.
func (x *ownerIndex) ownersAreLocked(id int32, owners []meta.Ref) bool {
	i := 0
	for o := range x.ownerIDsLocked(id) {
		if i == len(owners) || !x.ids.is(o, owners[i]) {
			return false
		}
		i++
	}
	return i == len(owners)
}

// ownsLocked reports whether owner already owns child.
func (x *ownerIndex) ownsLocked(owner meta.Ref, child int32) bool {
	for o := range x.ownerIDsLocked(child) {
		if x.ids.is(o, owner) {
			return true
		}
	}
	return false
}

func (x *ownerIndex) internLocked(ref meta.Ref) int32 {
	id, _ := x.ids.intern(ref)
	return id
}

func (x *ownerIndex) newEdgeLocked(e ownerEdge) int32 {
	if len(x.edges) == 0 {
		x.edges = append(x.edges, ownerEdge{}) // edge 0 ends lists
	}
	if n := len(x.freeEdges); n > 0 {
		i := x.freeEdges[n-1]
		x.freeEdges = x.freeEdges[:n-1]
		x.edges[i] = e
		return i
	}
	x.edges = append(x.edges, e)
	return int32(len(x.edges) - 1)
}

// unlinkOwnersLocked removes every edge from id's owners to id, and the
// owners left with neither owners nor children.
func (x *ownerIndex) unlinkOwnersLocked(id int32) {
	if e := x.ids.at(id).owners; e < 0 {
		owner := -e - 1
		x.unthreadChildLocked(owner, -(id + 1))
		x.sibling[id] = 0
		x.releaseIfUnusedLocked(owner) // not id itself, if it owns itself: it has an owner still
		x.ids.at(id).owners = 0
		return
	}
	for e := x.ids.at(id).owners; e != 0; {
		edge := x.edges[e]
		x.unthreadChildLocked(edge.owner, e)
		x.edges[e] = ownerEdge{}
		x.freeEdges = append(x.freeEdges, e)
		x.releaseIfUnusedLocked(edge.owner)
		e = edge.nextOwner
	}
	x.ids.at(id).owners = 0
}

func (x *ownerIndex) releaseIfUnusedLocked(id int32) {
	if n := x.ids.at(id); n.owners != 0 || n.children != 0 {
		return
	}
	x.ids.release(id)
	if x.ids.len() == 0 {
		// Empty: give back what a burst grew.
		x.ids, x.edges, x.freeEdges, x.sibling = refTable[ownerNode]{}, nil, nil, nil
	}
}

func (x *ownerIndex) forget(ref meta.Ref) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.forgetLocked(ref)
}

// forgetLocked drops ref's owners and creation; its own children stay
// until they are forgotten or collected.
func (x *ownerIndex) forgetLocked(ref meta.Ref) {
	id, ok := x.ids.lookup(ref)
	if !ok {
		return
	}
	x.unlinkOwnersLocked(id)
	n := x.ids.at(id)
	n.created &= heldBit // not present; a deletion not yet delivered still holds
	x.releaseIfUnusedLocked(id)
}

// seenPresent records that ref exists at the watch's position: the watch
// delivered a change of it that is not a deletion, or the list holding it
// was just indexed. Only an object that owns something, or of a kind that
// does, is remembered: those are what owner checks ask about.
func (x *ownerIndex) seenPresent(ref meta.Ref) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.seenPresentLocked(ref)
}

func (x *ownerIndex) seenPresentLocked(ref meta.Ref) {
	id, ok := x.ids.lookup(ref)
	if !ok {
		if !x.kinds[ref.Kind] {
			return
		}
		id = x.internLocked(ref)
	}
	n := x.ids.at(id)
	n.setFlag(goneBit, false)
	n.setPresent(!n.held())
}

// deletedHere records that the Manager deleted ref itself, or learnt it is
// gone, before the watch says so: its children are judged at once
// (Manager.Delete collects them before returning), and must not find it
// present as of the watch's position, nor again when the watch delivers
// changes older than that deletion (heldBit).
func (x *ownerIndex) deletedHere(ref meta.Ref) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.deletedHereLocked(ref)
}

func (x *ownerIndex) deletedHereLocked(ref meta.Ref) {
	if id, ok := x.ids.lookup(ref); ok {
		n := x.ids.at(id)
		n.setPresent(false)
		n.setFlag(heldBit, n.created&goneBit == 0)
	}
}

// knownPresent reports whether owner existed at the watch's position: seen
// present (seenPresent) and neither deleted nor forgotten since. Changes
// reach the index in the Store's order, so for a change being observed
// that is its owner at the change's revision; before a reconcile, a
// deletion the watch has not delivered yet is acted on when it is (the
// owner's collect), as one made just after a read of the owner would be.
func (x *ownerIndex) knownPresent(owner meta.Ref) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	id, ok := x.ids.lookup(owner)
	return ok && x.ids.at(id).present()
}

// childrenOf returns the objects listing owner among their owners, and
// false until the first resync indexed the Store (then only a List finds
// them).
func (x *ownerIndex) childrenOf(owner meta.Ref) ([]meta.Ref, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	var children []meta.Ref
	if id, ok := x.ids.lookup(owner); ok {
		for l := x.ids.at(id).children; l != 0; {
			var child int32
			child, l = x.childLocked(l)
			children = append(children, x.ids.ref(child))
		}
	}
	return children, x.kinds != nil
}

// size returns how many objects the index holds, owners and owned.
func (x *ownerIndex) size() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.ids.len()
}

// ownerDeleted records that ref was deleted at revision rev.
func (x *ownerIndex) ownerDeleted(ref meta.Ref, rev uint64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.deleted.add(ref, rev)
	if id, ok := x.ids.lookup(ref); ok {
		n := x.ids.at(id)
		n.setPresent(false)
		n.setFlag(heldBit, false)
		n.setFlag(goneBit, true)
		x.releaseIfUnusedLocked(id)
	}
}

// wasDeleted reports whether ref is among the recently deleted objects.
func (x *ownerIndex) wasDeleted(ref meta.Ref) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	_, ok := x.deleted.revision(ref)
	return ok
}

// outlived reports whether child was created before owner was deleted:
// then child belonged to that owner, whatever bears its name now.
func (x *ownerIndex) outlived(child, owner meta.Ref) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	d, ok := x.deleted.revision(owner)
	if !ok {
		return false
	}
	c := x.createdLocked(child)
	return c != 0 && c < d
}

func (x *ownerIndex) createdLocked(ref meta.Ref) uint64 {
	if id, ok := x.ids.lookup(ref); ok {
		return x.ids.at(id).createdAt()
	}
	return 0
}

// reset indexes the owners of everything listed at revision rev; listed
// yields every object the list held, present at rev.
func (x *ownerIndex) reset(owners map[meta.Ref][]meta.Ref, listed iter.Seq[meta.Ref], rev uint64) {
	x.resetListed(maps.All(owners), listed, rev)
}

// resetListed is reset of the owners of each object owners yields (a
// resync's list, without a map of them all).
func (x *ownerIndex) resetListed(owners iter.Seq2[meta.Ref, []meta.Ref], listed iter.Seq[meta.Ref], rev uint64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	fresh := &ownerIndex{kinds: map[meta.Kind]bool{}}
	for ref, os := range owners {
		created := rev
		if c := x.createdLocked(ref); c != 0 && c <= rev {
			created = c
		}
		fresh.setLocked(ref, os, created)
		for _, o := range os {
			fresh.kinds[o.Kind] = true
		}
	}
	if listed != nil {
		for ref := range listed {
			fresh.seenPresentLocked(ref)
		}
	}
	// A deletion made here and not yet delivered may postdate the list.
	for id := range x.ids.entries {
		if x.ids.at(int32(id)).held() { // a free id holds the zero value
			fresh.deletedHereLocked(x.ids.ref(int32(id)))
		}
	}
	x.ids, x.edges, x.freeEdges, x.sibling, x.kinds = fresh.ids, fresh.edges, fresh.freeEdges, fresh.sibling, fresh.kinds
}

func (x *ownerIndex) mayOwn(k meta.Kind) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.kinds == nil || x.kinds[k]
}
