package memory

import (
	"bytes"
	"encoding/base64"
	"math"
	"slices"
	"strings"
	"unsafe"
)

// Most of what the store holds per certificate is PEM text: a Secret's
// tls.crt, tls.key and ca.crt, a request's CSR, chain and CA. Base64 makes
// it a third longer than the DER it carries, and a chain repeats the CA's
// certificate that every other chain also holds. So a byte slice that is a
// PEM text exactly as encoding/pem writes it (blocks without headers, 64
// columns, nothing before, between or after) is kept as its blocks' types
// and DER, each certificate's DER shared (the CA's in every slab is one
// copy, a chain's leaf is one copy for its request and its Secret), and
// written out again on reading. Anything else keeps its bytes: a reader
// always gets back exactly what was written, which encoding checks.

// pemBegin, pemEnd and pemDashes frame a block as encoding/pem writes it.
const (
	pemBegin  = "-----BEGIN "
	pemEnd    = "-----END "
	pemDashes = "-----\n"
	pemLine   = 64 // base64 characters per line
)

// maxPEMBlocks bounds the blocks a value is split into (a CA bundle of
// more is kept as bytes).
const maxPEMBlocks = 64

// pemSpan is one block of a PEM text: its type, and its base64 body
// (newlines included) and DER length.
type pemSpan struct {
	typ string
	der int // its DER's end in the writer's scratch (the previous block's end is its start)
}

// pem writes b as PEM blocks and reports true, or writes nothing and
// reports false when b is not a PEM text encoding/pem would write, so what
// it accepts reads back exactly. The blocks' DER is decoded once, one
// after the other into w.scratch (no allocation per block), line by line
// (decodeLines), which is also the check: it used to be writing each block
// out again and comparing, a base64 encoding of every PEM text on every
// write (a third of an Order's or Secret's write).
func (w *slabWriter) pem(b []byte) bool {
	var spans [maxPEMBlocks]pemSpan
	n := 0
	w.scratch = w.scratch[:0]
	for rest := b; len(rest) > 0; n++ {
		if n == maxPEMBlocks || !bytes.HasPrefix(rest, []byte(pemBegin)) {
			return false
		}
		nl := bytes.IndexByte(rest, '\n')
		if nl < len(pemBegin)+len(pemDashes)-1 || !bytes.HasSuffix(rest[:nl+1], []byte(pemDashes)) {
			return false
		}
		typ := rest[len(pemBegin) : nl+1-len(pemDashes)]
		e := bytes.Index(rest[nl+1:], []byte(pemEnd))
		if e < 0 {
			return false
		}
		der, ok := w.decodeLines(rest[nl+1 : nl+1+e])
		if !ok {
			return false
		}
		w.scratch = w.scratch[:len(w.scratch)+len(der)]
		end := rest[nl+1+e+len(pemEnd):]
		if !bytes.HasPrefix(end, typ) || !bytes.HasPrefix(end[len(typ):], []byte(pemDashes)) {
			return false
		}
		spans[n] = pemSpan{typ: unsafe.String(unsafe.SliceData(typ), len(typ)), der: len(w.scratch)}
		rest = end[len(typ)+len(pemDashes):]
	}
	if n == 0 {
		return false
	}
	w.uvarint((uint64(n)<<2 | tagPEM) + 1)
	w.uvarint(uint64(len(b)))
	start := 0
	for _, p := range spans[:n] {
		w.plain(p.typ, sharedKeyLen)
		share := math.MaxInt // a key or a CSR is its object's alone
		if strings.HasSuffix(p.typ, "CERTIFICATE") {
			share = 1 // certificates are what other objects repeat
		}
		der := w.scratch[start:p.der]
		start = p.der
		w.plain(unsafe.String(unsafe.SliceData(der), len(der)), share)
	}
	return true
}

// strictBase64 rejects a final group whose unused bits are not zero,
// which encoding/pem never writes.
var strictBase64 = base64.StdEncoding.Strict()

// decodeLines decodes a PEM body into w.scratch after its length and
// returns the DER there (the caller extends w.scratch over what it
// keeps), or false when the body is not exactly what encoding/pem writes
// for that DER: lines of 64 characters, the last of 1 to 64, each ending
// in a newline. Each line is decoded on its own, so a line that decodes
// to exactly what its length must hold (48 bytes for a full one, and
// EncodedLen of what it holds for the last) holds no newline, carriage
// return or misplaced padding, and strict decoding takes only the one
// text each group has. Lines also keep base64 on its fast path, which a
// newline every 64 characters leaves.
func (w *slabWriter) decodeLines(body []byte) ([]byte, bool) {
	at := len(w.scratch)
	w.scratch = slices.Grow(w.scratch, base64.StdEncoding.DecodedLen(len(body)))
	dst := w.scratch[at:cap(w.scratch)]
	n := 0
	for len(body) > pemLine+1 {
		if body[pemLine] != '\n' {
			return nil, false
		}
		m, err := strictBase64.Decode(dst[n:], body[:pemLine])
		if err != nil || m != pemLine/4*3 {
			return nil, false
		}
		n += m
		body = body[pemLine+1:]
	}
	if len(body) > 0 {
		line := body[:len(body)-1]
		if len(line) == 0 || body[len(line)] != '\n' {
			return nil, false
		}
		m, err := strictBase64.Decode(dst[n:], line)
		if err != nil || base64.StdEncoding.EncodedLen(m) != len(line) {
			return nil, false
		}
		n += m
	}
	return dst[:n], true
}

// plain writes s inline or shared, never as a UUID, or as its index when
// it is one of knownStrings (a block's type).
func (w *slabWriter) plain(s string, shareFrom int) {
	if i, ok := knownIndex(s); ok {
		w.uvarint(i<<2 | tagKnown)
		return
	}
	if len(s) >= shareFrom {
		w.uvarint(w.share(s)<<2 | tagShared)
		return
	}
	w.uvarint(uint64(len(s))<<2 | tagInline)
	w.buf = append(w.buf, s...)
}

// plain reads what slabWriter.plain wrote, pointing into the slab or the
// shared string.
func (r *slabReader) plain() string {
	h := r.uvarint()
	switch h & 3 {
	case tagShared:
		return r.strs[h>>2].Value()
	case tagKnown:
		return knownStrings[h>>2-2]
	}
	b := r.raw(int(h >> 2))
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// pem reads a PEM text of n blocks.
func (r *slabReader) pem(n int) []byte {
	out := make([]byte, r.uvarint())
	at := out
	for range n {
		typ, der := r.plain(), r.plain()
		l := pemLen(typ, len(der))
		putPEM(at[:l], typ, unsafe.Slice(unsafe.StringData(der), len(der)))
		at = at[l:]
	}
	return out
}

// pemLen is the length of the block encoding/pem writes for typ and n
// bytes of DER, without headers.
func pemLen(typ string, n int) int {
	b64 := base64.StdEncoding.EncodedLen(n)
	lines := (b64 + pemLine - 1) / pemLine
	return len(pemBegin) + len(typ) + len(pemDashes) + b64 + lines + len(pemEnd) + len(typ) + len(pemDashes)
}

// putPEM writes the block into out (pemLen bytes) and returns out.
func putPEM(out []byte, typ string, der []byte) []byte {
	at := copy(out, pemBegin)
	at += copy(out[at:], typ)
	at += copy(out[at:], pemDashes)
	b64 := base64.StdEncoding.EncodedLen(len(der))
	base64.StdEncoding.Encode(out[at:at+b64], der)
	// Spread the lines out from the end, each followed by a newline.
	body := out[at : at+b64+(b64+pemLine-1)/pemLine]
	end := len(body)
	for start := (b64 - 1) / pemLine * pemLine; b64 > 0 && start >= 0; start -= pemLine {
		stop := min(start+pemLine, b64)
		end--
		body[end] = '\n'
		end -= stop - start
		copy(body[end:], body[start:stop])
	}
	at += len(body)
	at += copy(out[at:], pemEnd)
	at += copy(out[at:], typ)
	copy(out[at:], pemDashes)
	return out
}
