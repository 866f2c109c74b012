package pki

import "encoding/asn1"

// derWriter appends DER into one buffer without a closure or a child
// builder per nested element (cryptobyte's Builder makes both, about two
// allocations a level, and a CSR has ten levels). open reserves room for
// the longest length it writes (four octets: contents below 16 MiB), close
// writes the length and moves the contents back over what it did not need.
// Nesting is bounded by the stack; a writer that overflowed it, or closed
// what it did not open, or grew an element past 16 MiB reports it in
// bytes.
type derWriter struct {
	b     []byte
	stack [12]int // where each open element's contents start
	depth int
	bad   bool
}

const derMaxContents = 0xFFFFFF

func newDERWriter(capacity int) *derWriter {
	return &derWriter{b: make([]byte, 0, capacity)}
}

// open starts a constructed element with identifier octet tag.
func (w *derWriter) open(tag byte) {
	if w.depth == len(w.stack) {
		w.bad = true
		return
	}
	w.b = append(w.b, tag, 0, 0, 0, 0)
	w.stack[w.depth] = len(w.b)
	w.depth++
}

// close ends the innermost open element.
func (w *derWriter) close() {
	if w.depth == 0 {
		w.bad = true
		return
	}
	w.depth--
	start := w.stack[w.depth]
	n := len(w.b) - start
	hdr := w.b[start-4 : start]
	var used int
	switch {
	case n < 0x80:
		hdr[0], used = byte(n), 1
	case n <= 0xFF:
		hdr[0], hdr[1], used = 0x81, byte(n), 2
	case n <= 0xFFFF:
		hdr[0], hdr[1], hdr[2], used = 0x82, byte(n>>8), byte(n), 3
	case n <= derMaxContents:
		hdr[0], hdr[1], hdr[2], hdr[3], used = 0x83, byte(n>>16), byte(n>>8), byte(n), 4
	default:
		w.bad = true
		return
	}
	if used < 4 {
		copy(w.b[start-4+used:], w.b[start:])
		w.b = w.b[:len(w.b)-(4-used)]
	}
}

// element writes a primitive element with identifier octet tag and
// contents v.
func (w *derWriter) element(tag byte, v []byte) {
	w.open(tag)
	w.b = append(w.b, v...)
	w.close()
}

// elementString is element with contents s.
func (w *derWriter) elementString(tag byte, s string) {
	w.open(tag)
	w.b = append(w.b, s...)
	w.close()
}

// raw appends an element already encoded.
func (w *derWriter) raw(der []byte) { w.b = append(w.b, der...) }

// smallInt writes a non-negative INTEGER below 128.
func (w *derWriter) smallInt(v byte) { w.b = append(w.b, 0x02, 1, v&0x7F) }

// bitString writes v as a BIT STRING with no unused bits.
func (w *derWriter) bitString(v []byte) {
	w.open(0x03)
	w.b = append(w.b, 0)
	w.b = append(w.b, v...)
	w.close()
}

// oid writes an OBJECT IDENTIFIER: the first two arcs as one (X.690
// §8.19.4), then each in base 128.
func (w *derWriter) oid(o asn1.ObjectIdentifier) {
	w.open(0x06)
	if len(o) >= 2 {
		w.b = appendBase128(w.b, o[0]*40+o[1])
		for _, arc := range o[2:] {
			w.b = appendBase128(w.b, arc)
		}
	}
	w.close()
}

// appendBase128 appends v in base 128, high groups first, the continuation
// bit set on all but the last.
func appendBase128(b []byte, v int) []byte {
	var tmp [10]byte
	i := len(tmp) - 1
	tmp[i] = byte(v & 0x7F)
	for v >>= 7; v > 0; v >>= 7 {
		i--
		tmp[i] = byte(v&0x7F) | 0x80
	}
	return append(b, tmp[i:]...)
}

// bytes returns what was written, or false if it is not well formed.
func (w *derWriter) bytes() ([]byte, bool) {
	return w.b, !w.bad && w.depth == 0
}

// DER identifier octets used by the encoders.
const (
	derSequence    = 0x30
	derSet         = 0x31
	derOctetString = 0x04
	derNull        = 0x05
)

// derContext is the identifier octet of context-specific tag n,
// constructed or not.
func derContext(n byte, constructed bool) byte {
	if constructed {
		return 0xA0 | n
	}
	return 0x80 | n
}
