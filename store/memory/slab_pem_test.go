package memory

import (
	"bytes"
	"encoding/base64"
	"encoding/pem"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// pemByRewriting is how slabWriter.pem checked a text before it decoded
// line by line: decode each body whole, write the block out again and
// compare. It is the reference the line-by-line check must agree with.
func pemByRewriting(w *slabWriter, b []byte) bool {
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
		typ := string(rest[len(pemBegin) : nl+1-len(pemDashes)])
		e := bytes.Index(rest[nl+1:], []byte(pemEnd))
		if e < 0 {
			return false
		}
		der, err := base64.StdEncoding.DecodeString(string(rest[nl+1 : nl+1+e]))
		if err != nil {
			return false
		}
		l := pemLen(typ, len(der))
		if l > len(rest) || !bytes.Equal(putPEM(make([]byte, l), typ, der), rest[:l]) {
			return false
		}
		w.scratch = append(w.scratch, der...)
		spans[n] = pemSpan{typ: typ, der: len(w.scratch)}
		rest = rest[l:]
	}
	if n == 0 {
		return false
	}
	w.uvarint((uint64(n)<<2 | tagPEM) + 1)
	w.uvarint(uint64(len(b)))
	start := 0
	for _, p := range spans[:n] {
		w.plain(p.typ, sharedKeyLen)
		share := 1 << 62
		if strings.HasSuffix(p.typ, "CERTIFICATE") {
			share = 1
		}
		der := w.scratch[start:p.der]
		start = p.der
		w.plain(unsafe.String(unsafe.SliceData(der), len(der)), share)
	}
	return true
}

// pemCases are texts for the check: PEM texts encoding/pem writes, and
// ones a byte or a line away from them.
func pemCases() [][]byte {
	der := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*13 + n)
		}
		return b
	}
	block := func(typ string, n int) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der(n)}) }
	leaf := block("CERTIFICATE", 301)
	edit := func(b []byte, old, new string, n int) []byte {
		return bytes.Replace(slices.Clone(b), []byte(old), []byte(new), n)
	}
	lines := func(b []byte) []string { return strings.SplitAfter(string(b), "\n") }
	out := [][]byte{
		leaf, slices.Concat(leaf, block("CERTIFICATE", 48)), block("EC PRIVATE KEY", 121),
		block("CERTIFICATE", 0), block("X", 1), block("X", 2), block("X", 3), block("X", 47),
		block("X", 48), block("X", 49), block("X", 96), block("X", 97), block("", 5),
		block("A-----B", 5), block("CERTIFICATE\r", 5),
		edit(block("X", 1), "==", "=", 1),                      // short padding
		edit(block("X", 1), "==\n", "\n", 1),                   // no padding
		edit(block("X", 1), "AQ==", "AR==", 1),                 // unused bits set
		edit(block("X", 2), "=\n", "\n", 1),                    // no padding
		edit(leaf, "\n", "\r\n", -1),                           // CRLF
		edit(leaf, "\n-----END", "\r\n-----END", 1),            // CR ending the last line
		edit(leaf, "\n-----END", "\n\n-----END", 1),            // a blank line before END
		edit(leaf, "-----END CERTIFICATE", "-----END CERT", 1), // END of another type
		edit(leaf, "-----\n", "----- \n", 1),
		leaf[:len(leaf)-1], slices.Concat(leaf, []byte("\n")), slices.Concat([]byte("junk\n"), leaf),
		slices.Concat(leaf, []byte("-----BEGIN ")),
		[]byte("-----BEGIN X-----\n\n-----END X-----\n"), // an empty line for no DER
		[]byte("-----BEGIN X-----\nAAAA\nAAAA\n-----END X-----\n"),
		[]byte("-----BEGIN X-----\nAA==AAAA\n-----END X-----\n"),
		[]byte("-----BEGIN X-----\nAAAA\r\n-----END X-----\n"),
		[]byte("-----BEGIN X-----\nAA AA\n-----END X-----\n"),
	}
	// Lines of 63 and 65 characters, and 76 as MIME writes them.
	l := lines(leaf)
	out = append(out,
		[]byte(l[0]+l[1][:63]+"\n"+l[1][63:]+strings.Join(l[2:], "")),
		[]byte(l[0]+l[1][:64]+l[2][:1]+"\n"+l[2][1:]+strings.Join(l[3:], "")),
		edit(leaf, "\n", "", 1+1),
		// A full line holding less than 48 bytes: ending in padding, or
		// with four characters the decoder skips.
		[]byte(l[0]+l[1][:60]+"AA==\n"+strings.Join(l[2:], "")),
		[]byte(l[0]+l[1][:60]+"\r\r\r\r\n"+strings.Join(l[2:], "")),
	)
	mime := base64.StdEncoding.EncodeToString(der(301))
	var body strings.Builder
	for len(mime) > 76 {
		body.WriteString(mime[:76] + "\n")
		mime = mime[76:]
	}
	out = append(out, []byte("-----BEGIN X-----\n"+body.String()+mime+"\n-----END X-----\n"))
	// An '=' or a newline in place of each character of a short block.
	short := block("X", 50)
	for i := len("-----BEGIN X-----\n"); i < len(short)-len("-----END X-----\n"); i++ {
		for _, c := range []byte{'=', '\n', '\r'} {
			b := slices.Clone(short)
			b[i] = c
			out = append(out, b)
		}
	}
	return out
}

func TestPEMCheck_AgreesWithRewriting(t *testing.T) {
	accepted := 0
	for _, b := range pemCases() {
		pemAgreesWithRewriting(t, b)
		if (&slabWriter{}).pem(b) {
			accepted++
		}
	}
	// The canonical texts above, not only the rejected ones.
	require.GreaterOrEqual(t, accepted, 15)
}

func FuzzPEMCheck(f *testing.F) {
	for _, b := range pemCases() {
		f.Add(b)
	}
	f.Fuzz(pemAgreesWithRewriting)
}

// pemAgreesWithRewriting checks that the check accepts b exactly when
// the reference does, writes what it writes, and that what it accepts
// reads back as b.
func pemAgreesWithRewriting(t *testing.T, b []byte) {
	var got, want slabWriter
	ok, wantOK := got.pem(b), pemByRewriting(&want, b)
	require.Equal(t, wantOK, ok, "accepted %q", b)
	if !ok {
		require.Empty(t, got.buf, "wrote a text it declined")
		return
	}
	require.Equal(t, want.buf, got.buf)
	r := slabReader{data: got.buf, strs: got.strs}
	require.Equal(t, b, r.bytes())
}
