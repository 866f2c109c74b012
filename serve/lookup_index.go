package serve

import (
	"crypto/tls"
	"math/bits"

	"github.com/certflow/certflow/internal/dnsname"
)

// lookup finds the certificate for name (any ASCII case, no trailing dot):
// the exact name, else the wildcard "*.b.c" for "a.b.c", one label only.
// It allocates nothing and folds nothing: the hashes and the comparisons
// ignore case as they read (see keyhash.go).
//
// lookup itself serves the common shape, written out with no call that
// returns into it: a name of 17 to 32 bytes found in its home group's
// first tag match, or one not found exactly (the exact table's sketch
// rules it out, sketch.go, or the probe misses) whose first label is under
// eight bytes and whose parent has 17 to 32 bytes, likewise found. Everything else it hands, in tail position, to
// lookupAny, lookupFrom or lookupWild, which decide in the general way.
// A call that returned into lookup made the compiler keep the name, the
// index and the words on the stack for it, on every path: ~20 instructions
// of a wildcard lookup's ~280 (docs/serving.md).
func (ix *certIndex) lookup(name string) *tls.Certificate {
	n := len(name)
	if n <= 16 || n > dnsname.MaxNameLen {
		return ix.lookupAny(name)
	}
	t := ix.exact.Load()
	// sketchOf and foldHashMid, written out: their calls would cost what
	// they save.
	first, last := load8(name, 0), load8(name, n-8)
	if t.sketch.has(sketchMix(t.sketch.seed, n, first, load8(name, (n-8)/2), last)) {
		if n > 32 {
			return ix.lookupFrom(name)
		}
		x0, x1, x2, x3 := foldWord(first), foldWord(load8(name, 8)), foldWord(load8(name, n-16)), foldWord(last)
		h := ix.fold.mix(n, x0, x1, x2, x3)
		// findMid's first group: the first tag match is nearly always the
		// key, and a group with an empty slot and no other match ends the
		// probe without it.
		g := h & t.groupMask
		ctrl := t.ctrl[g].Load()
		mt := matching(ctrl, tagOf(h))
		if t.notPlain.Load() { // after the control byte, as in find
			return ix.lookupFrom(name)
		}
		if mt != 0 {
			s := &t.slots[g*groupSlots+uint64(bits.TrailingZeros64(mt)/8)]
			if key := s.key; len(key) == n && (x0^load8(key, 0))|(x1^load8(key, 8))|(x2^load8(key, n-16))|(x3^load8(key, n-8)) == 0 {
				if cert := s.cert.Load(); cert != nil {
					return cert
				}
				goto wild // a tombstone: no other slot holds the name
			}
		}
		if mt&(mt-1) != 0 || empties(ctrl) == 0 {
			return ix.lookupFrom(name)
		}
	}
wild:
	// The first label is most often shorter than eight bytes: its dot is
	// then in the word the sketch read.
	i := dotInWord(first)
	m := n - i - 1
	if i <= 0 || m <= 16 || m > 32 {
		return ix.lookupWild(name)
	}
	// The parent name[i+1:]'s words are read from name: slicing it first
	// cost a bounds check and a pointer mask, and its last 16 bytes are
	// the name's, so only its first two words wait on the dot.
	p0, p1, p2, p3 := foldWord(load8(name, i+1)), foldWord(load8(name, i+9)), foldWord(load8(name, n-16)), foldWord(last)
	w, h := ix.wild.Load(), ix.fold.mix(m, p0, p1, p2, p3)
	g := h & w.groupMask
	if mt := matching(w.ctrl[g].Load(), tagOf(h)); mt != 0 && !w.notPlain.Load() { // notPlain after the control byte
		s := &w.slots[g*groupSlots+uint64(bits.TrailingZeros64(mt)/8)]
		if key := s.key; len(key) == m && (p0^load8(key, 0))|(p1^load8(key, 8))|(p2^load8(key, m-16))|(p3^load8(key, m-8)) == 0 {
			return s.cert.Load()
		}
	}
	return w.findMid(h, name[i+1:], p0, p1, p2, p3)
}

// lookupAny is lookup for a name of any length, in the general way: the
// sketch, then lookupFrom.
func (ix *certIndex) lookupAny(name string) *tls.Certificate {
	if len(name) > dnsname.MaxNameLen {
		return nil // no certificate names it
	}
	if !ix.exact.Load().sketch.mayHold(name) {
		return ix.lookupWild(name)
	}
	return ix.lookupFrom(name)
}

// lookupFrom is lookup past the sketch: the exact table, then lookupWild.
func (ix *certIndex) lookupFrom(name string) *tls.Certificate {
	if cert := ix.lookupExact(name); cert != nil {
		return cert
	}
	return ix.lookupWild(name)
}

// lookupWild finds the certificate of the wildcard that would serve name.
func (ix *certIndex) lookupWild(name string) *tls.Certificate {
	if i := dnsname.IndexDot(name); i > 0 { // ".b.c" has no label for "*" to stand for
		parent := name[i+1:]
		return ix.wild.Load().find(foldHash(ix.seed, parent), parent)
	}
	return nil
}
