package dnsname

import "math/bits"

// HashFolded returns a seeded hash of name that ignores ASCII case, reading
// name once, eight bytes at a time, and writing nothing: a TLS handshake
// hashes its server name, in whatever case the client sent it, with no
// pass to check or fold it first. Names that fold alike (Fold, without its
// dropped dot) hash alike, for a given seed; the seed should be random, so
// a client cannot choose names that collide.
//
// It hashes each byte with its case bit (0x20) set, which is what makes
// 'A' and 'a' alike and costs one OR per word; the bytes it also makes
// alike ('@' and '`', '_' and DEL, control bytes and punctuation or
// digits) never both occur in DNS names, and a caller compares the names
// anyway (EqualFolded). It multiplies 64-bit words into 128 bits and folds
// the halves together (the construction of wyhash): one multiplication per
// 16 bytes, two more to finish.
func HashFolded(seed uint64, name string) uint64 {
	n := len(name)
	h := seed ^ hashK0
	k := bits.RotateLeft64(seed, 32) ^ hashK1 // never public, so no word can cancel it
	var a, b uint64
	switch {
	case n > 16:
		for i := 0; i < n-16; i += 16 {
			h = mix(load8(name, i)|caseBits^k, load8(name, i+8)|caseBits^h)
		}
		a, b = load8(name, n-16), load8(name, n-8) // may overlap the last block
	case n >= 8:
		a, b = load8(name, 0), load8(name, n-8)
	case n >= 4:
		a, b = load4(name, 0), load4(name, n-4)
	case n > 0:
		a = uint64(name[0]) | uint64(name[n>>1])<<8 | uint64(name[n-1])<<16
	}
	hi, lo := bits.Mul64(a|caseBits^k, b|caseBits^h)
	return mix(lo^hashK0^uint64(n), hi^hashK1)
}

// EqualFolded reports whether name, folded, is folded, which must already
// be folded. It compares eight bytes at a time, inline rather than through
// a call to the runtime's comparison, and folds only the words of name that
// differ from folded's, so a name in lower case costs a plain comparison
// and one in mixed case little more.
func EqualFolded(folded, name string) bool {
	n := len(name)
	if len(folded) != n {
		return false
	}
	switch {
	case n >= 8:
		for i := 0; i < n-8; i += 8 {
			if x, k := load8(name, i), load8(folded, i); x != k && fold8(x) != k {
				return false
			}
		}
		x, k := load8(name, n-8), load8(folded, n-8) // may overlap the word before
		return x == k || fold8(x) == k
	case n >= 4:
		x := load4(name, 0) | load4(name, n-4)<<32
		k := load4(folded, 0) | load4(folded, n-4)<<32
		return x == k || fold8(x) == k
	}
	for i := 0; i < n; i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != folded[i] {
			return false
		}
	}
	return true
}

// caseBits is the case bit of each byte of a word.
const caseBits = 0x2020202020202020

// Odd constants with well-spread bits (wyhash's), so no input word
// multiplies to a trivial product by chance.
const (
	hashK0 = 0xa0761d6478bd642f
	hashK1 = 0xe7037ed1a0b428db
)

// mix multiplies a by b and folds the 128-bit product's halves together:
// every bit of the result depends on most bits of both.
func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// load4 reads name[i:i+4] as a little-endian word.
func load4(name string, i int) uint64 {
	b := name[i : i+4]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24
}

// IndexDot returns the index of the first '.' in name, or -1: what
// strings.IndexByte(name, '.') returns, found eight bytes at a time inline,
// which for a server name costs less than the call (the first label is
// short, so the vector search never gets going).
func IndexDot(name string) int {
	const dots = 0x2e2e2e2e2e2e2e2e
	i, n := 0, len(name)
	for ; i+8 <= n; i += 8 {
		x := load8(name, i) ^ dots
		// The lowest byte flagged is exactly the first zero byte of x;
		// bytes above it may be flagged wrongly, and are not looked at.
		if m := (x - lowBytes) &^ x & highBytes; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < n; i++ {
		if name[i] == '.' {
			return i
		}
	}
	return -1
}

const (
	lowBytes  = 0x0101010101010101
	highBytes = 0x8080808080808080
)
