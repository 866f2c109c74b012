package serve

import (
	"crypto/tls"
	"math/bits"
)

// findMid is find for a name of 17 to 32 bytes (most server names and
// wildcard parents), given the name's four words that foldHashMid read: at
// 0, 8, n-16 and n-8. lookup has them in registers already, for the hash.
//
// A candidate key is compared in straight-line code, with no loop: first
// the four words XORed together (a name in the key's case matches there),
// then, only if they differ, each word as matchesPlain does, ORed into one
// test. find's word loop, on a mixed-case name, left the comparison a
// branch and the registers it spilled around the case test for every
// word: in callgrind, 141 of the ~350 instructions of a wildcard lookup of
// a 29-byte mixed-case name (1k names) were find's, ~80 of them that loop.
func (t *nameTable) findMid(h uint64, name string, x0, x1, x2, x3 uint64) *tls.Certificate {
	n := len(name)
	tag := tagOf(h)
	for g := h & t.groupMask; ; g = (g + 1) & t.groupMask {
		ctrl := t.ctrl[g].Load()
		for m := matching(ctrl, tag); m != 0; m &= m - 1 {
			s := &t.slots[g*groupSlots+uint64(bits.TrailingZeros64(m)/8)]
			key := s.key
			if len(key) != n {
				continue
			}
			// As in find: notPlain after the control byte.
			if t.notPlain.Load() {
				return t.findFolded(h, name)
			}
			if matchesMid(x0, x1, x2, x3, load8(key, 0), load8(key, 8), load8(key, n-16), load8(key, n-8)) {
				return s.cert.Load()
			}
		}
		if empties(ctrl) != 0 {
			return nil
		}
	}
}

// matchesMid reports whether the words x0–x3 of a name, folded, are the
// words k0–k3 of a plain key, as matchesPlain does for each word. A word
// equal to the key's passes the first test, which a lower-case name stops
// at; the second is matchesPlain's x|k>>1&caseBits == k, which a name
// equal to the key also passes (k's bits under its letters' case bits are
// set), so with no branch per word.
func matchesMid(x0, x1, x2, x3, k0, k1, k2, k3 uint64) bool {
	// Go's | and ^ bind alike, left to right: each XOR needs its parentheses.
	if (x0^k0)|(x1^k1)|(x2^k2)|(x3^k3) == 0 {
		return true
	}
	return ((x0|k0>>1&caseBits)^k0)|((x1|k1>>1&caseBits)^k1)|((x2|k2>>1&caseBits)^k2)|((x3|k3>>1&caseBits)^k3) == 0
}
