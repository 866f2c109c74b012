package pki

import (
	"bytes"
	"encoding/asn1"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// derWriter writes cryptobyte's bytes for nested elements whose contents
// sit on each length boundary, and for object identifiers with large arcs.
func TestDERWriterMatchesCryptobyte(t *testing.T) {
	for _, n := range []int{0, 1, 126, 127, 128, 129, 254, 255, 256, 257, 65534, 65535, 65536, 70000} {
		v := bytes.Repeat([]byte{0x5A}, n)
		oid := asn1.ObjectIdentifier{2, 999, 1 << 20, 127, 128, 16383, 16384}
		w := newDERWriter(0)
		w.open(derSequence)
		w.open(derContext(1, true))
		w.element(derOctetString, v)
		w.oid(oid)
		w.close()
		w.bitString(v[:n/2])
		w.smallInt(7)
		w.close()
		got, ok := w.bytes()
		require.True(t, ok, n)

		b := cryptobyte.NewBuilder(nil)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.Tag(1).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				b.AddASN1OctetString(v)
				b.AddASN1ObjectIdentifier(oid)
			})
			b.AddASN1BitString(v[:n/2])
			b.AddASN1Int64(7)
		})
		want, err := b.Bytes()
		require.NoError(t, err)
		require.Equal(t, want, got, "contents of %d bytes", n)
	}
}

// A writer used wrongly says so instead of returning malformed DER.
func TestDERWriterReportsMisuse(t *testing.T) {
	w := newDERWriter(0)
	w.close()
	_, ok := w.bytes()
	assert.False(t, ok, "closed what it did not open")

	w = newDERWriter(0)
	w.open(derSequence)
	_, ok = w.bytes()
	assert.False(t, ok, "left open")

	w = newDERWriter(0)
	for range len(w.stack) + 1 {
		w.open(derSequence)
	}
	for range len(w.stack) + 1 {
		w.close()
	}
	_, ok = w.bytes()
	assert.False(t, ok, "nested too deep")

	w = newDERWriter(0)
	w.element(derOctetString, make([]byte, derMaxContents+1))
	_, ok = w.bytes()
	assert.False(t, ok, "too long")
}
