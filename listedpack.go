package certflow

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// packDict packs listed objects against one object of their kind: what
// they share with it (the issuer's CA certificate, every annotation and
// key, most of the layout) is stored once, in the dictionary, and each
// object keeps only what differs. A restart on 20k certificates keeps
// every Secret's bytes for its visits (~68 MB of the start's peak live
// heap); against one of them each packs to a quarter or a third, for
// ~12 µs a Secret to pack and ~4 to unpack (20k Secrets, loaded machine):
// flate with the same dictionary packed tighter for ten times the CPU,
// and at its fastest level hardly used the dictionary.
//
// The format is a list of steps, each literal bytes followed by a copy
// from the dictionary: uvarint literal length, the literal bytes, uvarint
// copy length, and, unless that length is 0 (the last step), uvarint
// offset in the dictionary.
type packDict struct {
	data []byte
	// table holds, for the hash of each 8-byte window of data, the
	// window's position + 1 (the last one with that hash); 0 is none.
	table [1 << packHashBits]int32
}

const (
	packHashBits = 14
	// packMinCopy is the shortest copy worth its step (two or three
	// bytes of lengths and an offset).
	packMinCopy = 12
)

func packHash(v uint64) uint32 { return uint32((v * 0x9E3779B185EBCA87) >> (64 - packHashBits)) }

// newPackDict makes data, which it keeps, a dictionary.
func newPackDict(data []byte) *packDict {
	d := &packDict{data: data}
	for p := 0; p+8 <= len(data); p++ {
		d.table[packHash(binary.LittleEndian.Uint64(data[p:]))] = int32(p + 1)
	}
	return d
}

// pack appends src packed against d to dst.
func (d *packDict) pack(dst, src []byte) []byte {
	lit, i := 0, 0
	for i+8 <= len(src) {
		v := binary.LittleEndian.Uint64(src[i:])
		p := int(d.table[packHash(v)]) - 1
		if p < 0 || binary.LittleEndian.Uint64(d.data[p:]) != v {
			i++
			continue
		}
		n := d.matchLen(src[i:], p)
		if n < packMinCopy {
			i++
			continue
		}
		for i > lit && p > 0 && src[i-1] == d.data[p-1] { // the copy begins earlier
			i, p, n = i-1, p-1, n+1
		}
		dst = binary.AppendUvarint(dst, uint64(i-lit))
		dst = append(dst, src[lit:i]...)
		dst = binary.AppendUvarint(dst, uint64(n))
		dst = binary.AppendUvarint(dst, uint64(p))
		i += n
		lit = i
	}
	dst = binary.AppendUvarint(dst, uint64(len(src)-lit))
	dst = append(dst, src[lit:]...)
	return binary.AppendUvarint(dst, 0)
}

// matchLen is how many bytes src begins with that d.data holds from p.
func (d *packDict) matchLen(src []byte, p int) int {
	data := d.data[p:]
	n := 0
	for n+8 <= len(src) && n+8 <= len(data) {
		if x := binary.LittleEndian.Uint64(src[n:]) ^ binary.LittleEndian.Uint64(data[n:]); x != 0 {
			return n + bits.TrailingZeros64(x)/8
		}
		n += 8
	}
	for n < len(src) && n < len(data) && src[n] == data[n] {
		n++
	}
	return n
}

// unpack returns the bytes packed was packed from, which are size bytes
// long; ok is false when packed is not d's packing of size bytes. Size
// bounds what it appends: a damaged packing cannot make it grow further.
func (d *packDict) unpack(packed []byte, size int) (out []byte, ok bool) {
	out = make([]byte, 0, size)
	for {
		l, k := binary.Uvarint(packed)
		if k <= 0 || uint64(len(packed)-k) < l || uint64(size-len(out)) < l {
			return nil, false
		}
		out = append(out, packed[k:k+int(l)]...)
		packed = packed[k+int(l):]
		n, k := binary.Uvarint(packed)
		if k <= 0 {
			return nil, false
		}
		packed = packed[k:]
		if n == 0 {
			return out, len(packed) == 0 && len(out) == size
		}
		p, k := binary.Uvarint(packed)
		if k <= 0 || p > uint64(len(d.data)) || n > uint64(len(d.data))-p || n > uint64(size-len(out)) {
			return nil, false
		}
		packed = packed[k:]
		out = append(out, d.data[p:p+n]...)
	}
}

// packsBack reports whether packed, d's packing of src, unpacks to src:
// a packing is checked once before it replaces the bytes it was made of.
func (d *packDict) packsBack(packed, src []byte) bool {
	out, ok := d.unpack(packed, len(src))
	return ok && bytes.Equal(out, src)
}
