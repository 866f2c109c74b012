package pki

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"testing"

	"github.com/stretchr/testify/require"
)

// edgeScalars returns private scalars of c with 0, 1, 2, … leading zero
// bytes, and scalars of keys whose X or Y coordinate has a leading zero
// byte (about one key in 256 each: searched for).
func edgeScalars(t *testing.T, c elliptic.Curve) [][]byte {
	t.Helper()
	size := (c.Params().BitSize + 7) / 8
	var out [][]byte
	for zeros := 0; zeros < size-1; zeros += 1 + zeros/4 {
		d := make([]byte, size)
		_, err := rand.Read(d[zeros+1:])
		require.NoError(t, err)
		d[size-1] |= 1 // never zero
		out = append(out, d)
	}
	shortX, shortY := false, false
	for i := 0; i < 5000 && !(shortX && shortY); i++ {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		require.NoError(t, err)
		point, err := k.PublicKey.Bytes()
		require.NoError(t, err)
		x0, y0 := point[1] == 0, point[1+size] == 0
		if x0 && !shortX || y0 && !shortY {
			d, err := k.Bytes()
			require.NoError(t, err)
			out = append(out, d)
			shortX, shortY = shortX || x0, shortY || y0
		}
	}
	require.True(t, shortX && shortY, "found keys with a short X and a short Y")
	return out
}

// The encoders write x509's bytes for scalars and coordinates with leading
// zero bytes, which a P-521 scalar (66 bytes for 521 bits) always has in
// its top bits, and random keys rarely have in whole bytes.
func TestECDERMatchesX509AtLeadingZeros(t *testing.T) {
	for _, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		for _, d := range edgeScalars(t, c) {
			k, err := ecdsa.ParseRawPrivateKey(c, d)
			require.NoError(t, err)
			ours, _, err := ecPublicKeyDER(&k.PublicKey)
			require.NoError(t, err)
			theirs, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
			require.NoError(t, err)
			require.Equal(t, theirs, ours, "%s %x: SubjectPublicKeyInfo", c.Params().Name, d)
			ours, _, err = ecPrivateKeyDER(k, false)
			require.NoError(t, err)
			theirs, err = x509.MarshalECPrivateKey(k)
			require.NoError(t, err)
			require.Equal(t, theirs, ours, "%s %x: SEC 1", c.Params().Name, d)
			ours, _, err = ecPrivateKeyDER(k, true)
			require.NoError(t, err)
			theirs, err = x509.MarshalPKCS8PrivateKey(k)
			require.NoError(t, err)
			require.Equal(t, theirs, ours, "%s %x: PKCS#8", c.Params().Name, d)
		}
	}
}

// ecPrivateKeyDER's buffer never grows (a grown buffer leaves a copy of
// the scalar to the collector, uncleared), and what its elements' closing
// moves back leaves no scalar bytes past the DER's end, where clearing the
// DER would not reach them.
func TestECPrivateKeyDERNeverGrows(t *testing.T) {
	for _, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		size := (c.Params().BitSize + 7) / 8
		for _, d := range edgeScalars(t, c) {
			k, err := ecdsa.ParseRawPrivateKey(c, d)
			require.NoError(t, err)
			for _, pkcs8 := range []bool{false, true} {
				der, _, err := ecPrivateKeyDER(k, pkcs8)
				require.NoError(t, err)
				require.Equal(t, ecPrivateKeyDERCap(size, 1+2*size), cap(der), "%s pkcs8=%v: the buffer grew", c.Params().Name, pkcs8)
				past := der[len(der):cap(der)]
				for i := 0; i+8 <= size; i++ {
					if w := d[i : i+8]; !bytes.Equal(w, make([]byte, 8)) {
						require.False(t, bytes.Contains(past, w), "%s pkcs8=%v: scalar bytes past the DER", c.Params().Name, pkcs8)
					}
				}
			}
		}
	}
}
