package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// PublicKeysEqual answers as the keys' own Equal does, for ECDSA keys
// made here and parsed back, across curves and types.
func TestPublicKeysEqualAgreesWithEqual(t *testing.T) {
	gen := func(c elliptic.Curve) *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		require.NoError(t, err)
		return k
	}
	a, b, c := gen(elliptic.P256()), gen(elliptic.P256()), gen(elliptic.P384())
	der, err := x509.MarshalPKIXPublicKey(&a.PublicKey)
	require.NoError(t, err)
	parsed, err := x509.ParsePKIXPublicKey(der)
	require.NoError(t, err)
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	keys := []crypto.PublicKey{&a.PublicKey, &b.PublicKey, &c.PublicKey, parsed, edPub}
	for i, x := range keys {
		for j, y := range keys {
			want := false
			if e, ok := x.(interface{ Equal(crypto.PublicKey) bool }); ok {
				want = e.Equal(y)
			}
			assert.Equal(t, want, PublicKeysEqual(x, y), "keys %d and %d", i, j)
		}
	}
	assert.True(t, PublicKeysEqual(&a.PublicKey, parsed))
	assert.Zero(t, testing.AllocsPerRun(20, func() { PublicKeysEqual(&a.PublicKey, parsed) }))
}
