package serve

import (
	"crypto/tls"
	"math/bits"
)

// findMid is find for a name of 17 to 32 bytes, given the name's four
// words that foldHashMid read (at 0, 8, n-16 and n-8), each folded by
// foldWord: lookup has them in registers already, for the hash.
//
// A candidate plain key (keymatch.go) is then the name exactly when its
// four words equal the folded ones, which is tested in straight-line code
// with one branch. find's word loop, on a mixed-case name, took a branch
// and the registers it spilled around matchesPlain's case test for every
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
			// Go's | and ^ bind alike, left to right: each XOR needs its
			// parentheses.
			if (x0^load8(key, 0))|(x1^load8(key, 8))|(x2^load8(key, n-16))|(x3^load8(key, n-8)) == 0 {
				return s.cert.Load()
			}
		}
		if empties(ctrl) != 0 {
			return nil
		}
	}
}
