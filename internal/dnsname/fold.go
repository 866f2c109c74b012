package dnsname

import (
	"slices"
	"strings"
)

// Canonical is Normalize without the trailing dot: the form an ACME
// identifier or a certificate SAN carries.
func Canonical(name string) (string, error) {
	if n := strings.TrimSuffix(name, "."); isCanonical(n) {
		return n, nil
	}
	n, err := Normalize(name)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(n, "."), nil
}

// Fold lower-cases the ASCII letters of name and drops one trailing dot,
// without validating it. It allocates only when name has an upper-case
// letter; FoldInto, which writes to a buffer, never does.
func Fold(name string) string {
	name = strings.TrimSuffix(name, ".")
	if IsFolded(name) {
		return name
	}
	b := make([]byte, len(name))
	FoldInto(b, name)
	return string(b)
}

// IsFolded reports whether name is certainly unchanged by folding: it has
// no ASCII upper-case letter. It reads eight bytes at a time with three
// operations each, for the TLS handshake path, which asks it of every server
// name; that speed costs a few false negatives: it also reports false for
// a name with one of @[\]^_ or a byte in 0xC0–0xDF, which a caller then
// folds for nothing.
func IsFolded(name string) bool {
	n := len(name)
	if n < 8 {
		for i := 0; i < n; i++ {
			if name[i]&0x60 == 0x40 {
				return false
			}
		}
		return true
	}
	var flagged uint64
	for i := 0; i < n-8; i += 8 {
		flagged |= maybeUpper(load8(name, i))
	}
	// The last word may overlap the one before; reading bytes twice is
	// cheaper than a byte loop.
	return flagged|maybeUpper(load8(name, n-8)) == 0
}

// FoldInto writes name with its ASCII letters lower-cased to dst, which
// must be at least as long, and returns how many bytes it wrote. Other
// bytes, including those ≥ 0x80, are kept: server names are A-labels (RFC
// 6066 §3), for which ASCII folding is the comparison. It allocates nothing
// and reads and writes eight bytes at a time: a handshake folds a
// mixed-case server name into a buffer on its stack with it.
func FoldInto(dst []byte, name string) int {
	n := len(name)
	if n < 8 {
		for i := 0; i < n; i++ {
			c := name[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst[i] = c
		}
		return n
	}
	_ = dst[n-1]
	for i := 0; i < n-8; i += 8 {
		store8(dst[i:], fold8(load8(name, i)))
	}
	// The last word may overlap the one before: its bytes fold alike.
	store8(dst[n-8:], fold8(load8(name, n-8)))
	return n
}

// Set returns names folded, sorted and without duplicates, so two lists of
// names compare equal when they name the same set in any order or case.
func Set(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if n = Fold(strings.TrimSpace(n)); n != "" {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// upperBits returns the high bit of each byte of x that is an ASCII
// upper-case letter, and no other bit: SWAR ("SIMD within a register").
func upperBits(x uint64) uint64 {
	const (
		ones = 0x0101010101010101
		high = 0x8080808080808080
	)
	low7 := x &^ high
	atLeastA := low7 + ones*(0x80-'A') // high bit set where the low 7 bits ≥ 'A'
	aboveZ := low7 + ones*(0x80-'Z'-1) // high bit set where they are > 'Z'
	return (atLeastA &^ aboveZ) &^ x & high
}

// maybeUpper returns a non-zero word when a byte of x has bit 0x40 set and
// bit 0x20 clear: every ASCII upper-case letter (0x41–0x5A) is such a byte.
func maybeUpper(x uint64) uint64 {
	return x &^ (x << 1) & 0x4040404040404040 // x<<1 moves each byte's 0x20 bit onto its 0x40 bit
}

// fold8 lower-cases the ASCII upper-case letters among the 8 bytes of x.
func fold8(x uint64) uint64 { return x | upperBits(x)>>2 } // 0x80>>2 is the case bit 0x20

// load8 reads name[i:i+8] as a little-endian word; the compiler merges the
// byte reads into one load.
func load8(name string, i int) uint64 {
	b := name[i : i+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// store8 writes x to b[:8] little-endian, as one store.
func store8(b []byte, x uint64) {
	_ = b[7]
	b[0], b[1], b[2], b[3] = byte(x), byte(x>>8), byte(x>>16), byte(x>>24)
	b[4], b[5], b[6], b[7] = byte(x>>32), byte(x>>40), byte(x>>48), byte(x>>56)
}
