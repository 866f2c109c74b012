package serve

import (
	"math/bits"

	"github.com/certflow/certflow/internal/dnsname"
)

// The two tables of a certIndex hash their keys with foldHash, which
// ignores case as it reads, so a server name in any case is hashed in one
// pass with no fold before it. A name served by a wildcard costs a second,
// shorter pass: the hash of its parent "b.c", under which the wildcard
// table files "*.b.c", taken only once the exact probe missed (or the
// exact table's sketch said it would). Every other hash and probe layout
// tried so far measured no better; the measurements (what was tried, at
// which sizes and load, and why it lost) are in docs/serving.md, so as not
// to try them again.

// wildHash is the hash under which the wildcard table files parent, the
// "b.c" of "*.b.c".
func wildHash(seed uint64, parent string) uint64 { return foldHash(seed, parent) }

// exactHash is the hash under which the exact table files name.
func exactHash(seed uint64, name string) uint64 { return foldHash(seed, name) }

// foldHash is dnsname.HashFolded, but for names of 17 to 32 bytes (most
// server names and wildcard parents) foldHashMid, which lookup calls
// directly. Two names of different lengths are never equal, so each length
// may have its own hash.
func foldHash(seed uint64, name string) uint64 {
	if n := len(name); n > 16 && n <= 32 {
		return foldHashMid(seed, name)
	}
	return dnsname.HashFolded(seed, name)
}

// foldHashMid hashes a name of 17 to 32 bytes from its words folded by
// foldWord, so 'A' and 'a' alike (wyhash's multiply and fold), but its two
// products are independent: the first and last 16 bytes (overlapping
// below 32) are each multiplied under their own keys, and one more
// multiplication mixes the halves. HashFolded chains three multiplications
// for these lengths (its block's product feeds the next), and a wildcard
// lookup waits on its parent's hash before its probe can load anything
// (issue 11, wildcard + mixed case at 1k names). The keys differ per half
// and the halves cross over when mixed, so exchanging the halves' words,
// which a commutative product alone would not see, changes the hash. It
// inlines, and its loads are unchecked: 16 < len(name) ≤ 32.
func foldHashMid(seed uint64, name string) uint64 {
	n := len(name)
	k := newFoldKeys(seed)
	return k.mix(n, foldWord(load8(name, 0)), foldWord(load8(name, 8)), foldWord(load8(name, n-16)), foldWord(load8(name, n-8)))
}

// foldWord sets the case bit (0x20) of each byte of w that has bit 0x40:
// an upper-case letter becomes its lower-case one, a lower-case letter
// stays, and so does every byte without 0x40 (digits, '-', '.', ':'). It
// maps a name's word and its ASCII fold's alike (folding only sets 0x20
// of bytes 'A'–'Z', which have 0x40), so foldHashMid hashes a name as
// its fold. A plain key's words (keymatch.go) are their own foldWord, and
// a name's folded word equals a plain key's exactly when matchesPlain
// says so: a byte with 0x40 must be the key's letter in either case, one
// without must equal the key's byte (which then has no 0x40 either).
// lookup folds a 17–32 byte name's four words once, for the hash and for
// findMid's comparison, which is then plain equality.
func foldWord(w uint64) uint64 { return w | w>>1&caseBits }

// foldKeys are the words foldHashMid mixes into a name's under one seed,
// combined from the seed and the constants once: a certIndex keeps them,
// so its inlined mix XORs each word with one of them from memory instead
// of building each 64-bit constant in a register first (amd64 XOR takes
// no 64-bit immediate).
type foldKeys struct{ a, b, c, d, e, f uint64 }

func newFoldKeys(seed uint64) foldKeys {
	k, h := bits.RotateLeft64(seed, 32)^hashK1, seed^hashK0
	return foldKeys{a: k, b: h, c: h ^ hashK2, d: k ^ hashK3, e: hashK0, f: seed}
}

// mix is foldHashMid of a name of n bytes from its four words, folded by
// foldWord.
func (k *foldKeys) mix(n int, a, b, c, d uint64) uint64 {
	hi1, lo1 := bits.Mul64(a^k.a, b^k.b)
	hi2, lo2 := bits.Mul64(c^k.c, d^k.d)
	hi, lo := bits.Mul64(lo1^hi2^k.e^uint64(n), hi1^lo2^k.f)
	return hi ^ lo
}

// Odd constants with well-spread bits (wyhash's secrets), so no input word
// multiplies to a trivial product by chance.
const (
	hashK0 = 0xa0761d6478bd642f
	hashK1 = 0xe7037ed1a0b428db
	hashK2 = 0x8ebc6af09c88c6e3
	hashK3 = 0x589965cc75374cc3
)
