package serve

import (
	"math/bits"
	"sync/atomic"
)

// A name served by a wildcard first misses in the exact table: a full hash
// of the name and a probe, ~110 of the ~480 instructions such a lookup took
// (issue 11), and the probe's control word is one more cache line. The
// exact table therefore keeps a sketch of its keys, a Bloom filter that
// sets two bits a key in one word (blocked, so a lookup loads one word),
// eight bits a slot: 9–24 bits a key, as a table is seven eighths to a
// third full, so ~4% to ~0.6% false positives (two bits a slot passed ~15%
// to ~3%: each wildcard name passed pays the exact hash and probe it is
// meant to skip, and at 100k names the sketch, 128 KiB, still sits in a
// near cache beside the table's 3 MiB). A lookup that finds its bits clear skips
// the exact table; one that finds them set probes it as before.
//
// The sketch's hash is not the table's: it reads three words of the name,
// the first, the middle and the last eight bytes (every byte of a name up
// to 24), XORs them and multiplies once, ~15 instructions where HashFolded
// takes ~60. It needs no resistance to collisions: a name whose bits are
// a key's (by chance, or as it differs from one only in bytes the sketch
// does not read) costs what every lookup cost before the sketch, and the
// table's own hash still decides probe lengths. It reads each byte with
// its case bit set, as HashFolded does, so a name that folds to a key
// always finds its bits.
//
// Lock-free reading: a key's bits are set (atomic OR) before its control
// byte is stored, and bits are never cleared in a published table, so a
// reader that can find a key finds its bits; a tombstone keeps its bits
// until a rebuild starts a fresh sketch.

// sketchSlotsPerWord is how many slots share one word of the sketch: eight
// bits a slot.
const sketchSlotsPerWord = 8

// sketchK is an odd constant with well-spread bits (wyhash's), which the
// position-XOR of the name is multiplied by.
const sketchK = 0x8ebc6af09c88c6e3

// sketchOf returns the sketch hash of name under seed, ignoring ASCII case.
// It reads three words, the first, the middle and the last eight bytes
// (all the bytes of a name up to 24), and multiplies once (why: above).
func sketchOf(seed uint64, name string) uint64 {
	n := len(name)
	if n < 8 {
		return sketchShort(seed, name)
	}
	return sketchMix(seed, n, load8(name, 0), load8(name, (n-8)/2), load8(name, n-8))
}

// sketchMix is sketchOf of a name of n ≥ 8 bytes from its three words.
// Rotating by whole bytes keeps each case bit (0x20) at a case bit, so
// setting them once after the XOR is as if each word had them set: 'A'
// and 'a' hash alike.
func sketchMix(seed uint64, n int, first, mid, last uint64) uint64 {
	x := first ^ bits.RotateLeft64(mid, 16) ^ bits.RotateLeft64(last, 40)
	hi, lo := bits.Mul64(x|caseBits^seed^uint64(n), sketchK)
	return hi ^ lo
}

// sketchShort is sketchOf for names under eight bytes.
func sketchShort(seed uint64, name string) uint64 {
	n := len(name)
	var x uint64
	if n >= 4 {
		x = load4(name, 0) | load4(name, n-4)<<32
	} else {
		for i := 0; i < n; i++ {
			x |= uint64(name[i]) << (8 * i)
		}
	}
	hi, lo := bits.Mul64(x|caseBits^seed^uint64(n), sketchK)
	return hi ^ lo
}

// sketchBits returns the two bits, in its word, that a key of sketch hash
// s sets.
func sketchBits(s uint64) uint64 { return 1<<(s>>58) | 1<<(s>>52&63) }

// sketch is the exact table's Bloom filter of its keys.
type sketch struct {
	words []atomic.Uint64
	mask  uint64
	seed  uint64
}

func newSketch(slots int, seed uint64) sketch {
	n := max(slots/sketchSlotsPerWord, 1)
	return sketch{words: make([]atomic.Uint64, n), mask: uint64(n - 1), seed: seed}
}

// add sets the bits of key, before the key is published.
func (s *sketch) add(key string) {
	h := sketchOf(s.seed, key)
	s.words[h&s.mask].Or(sketchBits(h))
}

// mayHold reports whether a key that name folds to may have been added:
// false only if none has.
func (s *sketch) mayHold(name string) bool { return s.has(sketchOf(s.seed, name)) }

// has reports whether the bits of sketch hash h are all set.
func (s *sketch) has(h uint64) bool {
	b := sketchBits(h)
	return s.words[h&s.mask].Load()&b == b
}
