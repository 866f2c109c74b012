package memory

import (
	"encoding/binary"
	"encoding/hex"
	"unsafe"

	"github.com/certflow/certflow/internal/canon"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/internal/objects"
)

// A slab is how the store keeps an object of a kind it can (slabCodecOf):
// one byte slice holding the whole normalised object in a compact binary
// form, beside the handles of the strings it shares with other objects.
// Decoded structs cost the store ~7 KB per issued certificate and ~870
// bytes per Event at 100,000 certificates (docs/memory.md), most of it
// struct fields, pointers, slice and map headers and their allocations;
// a slab costs the bytes of its content and two slice headers.
//
// The content is written by a per-type codec (slab_codec.go) from the
// value a normaliser made, so decoding it gives that value back exactly.
// Values are written in field order, each as:
//   - bool: one byte; signed integers: zig-zag varint; unsigned: varint;
//   - string: a varint h, then by h&3: 0 the h>>2 bytes inline; 1 the
//     shared string at index h>>2; 2 a UUID in its 16 bytes (the canonical
//     lowercase 36-character form, the UIDs the store makes);
//   - []byte: a varint, 0 for nil, else h+1 with h as for a string (never
//     a UUID), or
//     h&3 == 3 for a PEM text of h>>2 blocks kept as DER (slab_pem.go);
//   - pointer: a byte, 0 for nil, 1 followed by the value;
//   - slice and map: a varint, 0 for nil, else its length+1, then the
//     elements (map entries sorted by key, key then value);
//   - array and struct: the elements or exported fields in order;
//   - time.Time: a byte 2 for the zero time; 0 then its Unix seconds
//     (zig-zag) and nanoseconds when its location is UTC; else 1 then its
//     MarshalBinary form
//     (length-prefixed), which UnmarshalBinary gives back in Local or a
//     fixed zone exactly as JSON's decoding of the same instant does.
//
// A slab starts with the byte count of the strings a full decoding copies
// (decodeInto makes one allocation for all of them) and the count of its
// shared strings, then
// the store-owned metadata (UID, ResourceVersion, Generation,
// CreationTime), which a write sets under the store's lock, then the rest
// of the metadata and the object's other fields (slab_meta.go).
//
// Shared strings are map keys, long strings, the DER of certificates, and
// strings seen in other objects (sketch.go): what repeats across objects
// (annotation keys, the CA certificate in every request and Secret, a
// chain in both its request and its Secret, condition and event messages). They are
// held by handles to the Store's canonical copies (intern.go), one copy
// while an entry the Store holds refers to it.
//
// An entry holds its slab by value, so the slab is kept to two words:
// its content as a string (immutable, and 8 bytes less than a slice
// header) and a pointer to the first of its handles, whose count
// follows the block count in the content. At ~8 objects a certificate
// that is 16 bytes an object off each entry (112 -> 96 bytes, a size
// class down).
type slab struct {
	data string
	strs *strHandle
}

// Thresholds of what a slab shares rather than holds inline: a shared
// string costs a handle in every slab and its table's slot and a head
// once (~40 bytes, intern.go; ~150-180 with unique's map, when these were
// set), so only what is long or likely repeated is shared.
//
// A canonical copy costs bytes besides its content, and a heap object
// the collector marks: a string
// value only one object holds (an Event's message naming its object,
// ~80 bytes, one per certificate) costs less inline. So a string value
// (not a map key) of sharedStringLen or more is shared only once the
// per-store sketch has seen it repeat, unless it is sharedAlwaysLen
// long, where two holders already pay.
const (
	sharedKeyLen    = 8    // map keys at least this long
	sharedStringLen = 64   // byte slices at least this long; strings, once repeated
	sharedAlwaysLen = 1024 // strings at least this long, repeated or not
)

// String and byte slice header tags.
const (
	tagInline = 0
	tagShared = 1
	tagUUID   = 2
	tagPEM    = 3
	tagKnown  = 3 // a string's (never a byte slice's): slab_known.go
)

// slabWriter appends a slab's content.
type slabWriter struct {
	buf     []byte
	strs    []strHandle
	block   int      // bytes of strings a full decoding copies
	repeats *repeats // which mid-length strings to share; nil: none
	// scratch is slab_pem.go's buffer for a PEM text's DER.
	scratch []byte
	// fields is sealSlab's buffer for the store's fields.
	fields []byte
	// ref is the object's, and recent the last inline strings written
	// (a ring: recentN counts them), which a string may refer to
	// (slab_known.go).
	ref     meta.Ref
	recent  [backrefWindow]inlineAt
	recentN int
	// prev are the shared strings of the version a write replaces: a
	// string equal to one of them takes its handle without a lookup in
	// the Store's table (hashing it, under the table's lock).
	prev []strHandle
}

func (w *slabWriter) uvarint(x uint64) { w.buf = binary.AppendUvarint(w.buf, x) }
func (w *slabWriter) varint(x int64)   { w.buf = binary.AppendVarint(w.buf, x) }
func (w *slabWriter) byte1(b byte)     { w.buf = append(w.buf, b) }

// share adds s to the shared strings and returns its index.
func (w *slabWriter) share(s string) uint64 {
	h, ok := w.previous(s)
	if !ok {
		h = canon.Make(s)
	}
	return w.shareHandle(h)
}

// shareHandle adds h to the shared strings and returns its index.
func (w *slabWriter) shareHandle(h strHandle) uint64 {
	for i, o := range w.strs {
		if o == h {
			return uint64(i)
		}
	}
	w.strs = append(w.strs, h)
	return uint64(len(w.strs) - 1)
}

// previous returns the handle of s among the replaced version's, if any:
// the copy the store's table holds, since that version is stored (or,
// if the table dropped it since, a copy as good).
func (w *slabWriter) previous(s string) (strHandle, bool) {
	for _, p := range w.prev {
		if v := p.Value(); len(v) == len(s) && v == s {
			return p, true
		}
	}
	return strHandle{}, false
}

// stringHeader writes s, shared when at least shareFrom bytes long.
func (w *slabWriter) string(s string, shareFrom int) {
	switch {
	case len(s) == 36 && isUUID(s):
		w.uvarint(tagUUID)
		w.buf = appendUUID(w.buf, s)
		w.block += 36
	case w.known(s):
	case len(s) >= shareFrom && (shareFrom < sharedStringLen || len(s) >= sharedAlwaysLen):
		w.uvarint(w.share(s)<<2 | tagShared)
	default:
		if len(s) >= repeatMinLen {
			if h, ok := w.repeats.shared(s); ok {
				w.uvarint(w.shareHandle(h)<<2 | tagShared)
				return
			}
		}
		w.remember(s, len(w.buf))
		w.uvarint(uint64(len(s))<<2 | tagInline)
		w.buf = append(w.buf, s...)
		w.block += len(s)
	}
}

// bytes writes b (nil, inline, shared or as PEM blocks).
func (w *slabWriter) bytes(b []byte) {
	switch {
	case b == nil:
		w.uvarint(0)
	case len(b) >= sharedStringLen && w.pem(b):
	case len(b) >= sharedStringLen:
		w.uvarint((w.share(string(b))<<2 | tagShared) + 1)
	default:
		w.uvarint((uint64(len(b))<<2 | tagInline) + 1)
		w.buf = append(w.buf, b...)
	}
}

// slabReader reads a slab's content. A reader that copies (decodeInto:
// what it returns shares nothing with the slab) copies every string into
// its block, one allocation for all, and makes each byte slice anew (a
// caller keeping one, a key's DER, keeps no more than it); one that does
// not (internal reads of metadata) points strings into the slab, for a
// caller that keeps none of them.
type slabReader struct {
	ref   meta.Ref // the object's, which a string may be (slab_known.go)
	data  []byte
	off   int
	strs  []strHandle
	block []byte
	copy  bool
	// each makes every string copied its own allocation instead (the
	// metadata of a watch event, kept by watchers a string at a time).
	each bool
}

func (r *slabReader) uvarint() uint64 {
	x, n := binary.Uvarint(r.data[r.off:])
	r.off += n
	return x
}

func (r *slabReader) varint() int64 {
	x, n := binary.Varint(r.data[r.off:])
	r.off += n
	return x
}

func (r *slabReader) byte1() byte {
	b := r.data[r.off]
	r.off++
	return b
}

func (r *slabReader) raw(n int) []byte {
	b := r.data[r.off : r.off+n : r.off+n]
	r.off += n
	return b
}

// carve takes n bytes of the block (allocating one if there is none).
func (r *slabReader) carve(n int) []byte {
	if len(r.block) < n {
		r.block = make([]byte, max(n, 64))
	}
	b := r.block[:n:n]
	r.block = r.block[n:]
	return b
}

func (r *slabReader) string() string {
	start := r.off
	h := r.uvarint()
	switch h & 3 {
	case tagShared:
		return r.strs[h>>2].Value()
	case tagKnown:
		return r.known(h>>2, start)
	case tagUUID:
		var out []byte
		if r.copy && !r.each {
			out = r.carve(36)
		} else {
			out = make([]byte, 36)
		}
		objects.PutUUID(out, r.raw(16))
		return unsafe.String(unsafe.SliceData(out), 36)
	}
	n := int(h >> 2)
	if n == 0 {
		return ""
	}
	return r.inline(r.raw(n))
}

// inline returns an inline string's bytes b as the reader's mode says:
// pointing into the slab, copied into the block, or copied on its own.
func (r *slabReader) inline(b []byte) string {
	n := len(b)
	if r.each {
		return string(b)
	}
	if r.copy {
		c := r.carve(n)
		copy(c, b)
		b = c
	}
	return unsafe.String(unsafe.SliceData(b), n)
}

func (r *slabReader) bytes() []byte {
	h := r.uvarint()
	if h == 0 {
		return nil
	}
	h--
	switch h & 3 {
	case tagShared:
		return []byte(r.strs[h>>2].Value())
	case tagPEM:
		return r.pem(int(h >> 2))
	case tagUUID:
		panic("memory: slab: UUID tag on a byte slice")
	}
	n := int(h >> 2)
	b := make([]byte, n)
	copy(b, r.raw(n))
	return b
}

// isUUID reports whether s is in the form objects.NewUID makes: lowercase
// hex in groups of 8-4-4-4-12.
func isUUID(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}

func appendUUID(buf []byte, s string) []byte {
	var b [16]byte
	hex.Decode(b[0:4], []byte(s[0:8]))
	hex.Decode(b[4:6], []byte(s[9:13]))
	hex.Decode(b[6:8], []byte(s[14:18]))
	hex.Decode(b[8:10], []byte(s[19:23]))
	hex.Decode(b[10:16], []byte(s[24:36]))
	return append(buf, b[:]...)
}
