package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The keys x509 encodes (RSA, Ed25519, a curve ecPrivateKeyDER leaves to
// it) come back from ParsePrivateKey, in the PEM type each form names:
// the DER that EncodePrivateKey clears was copied into the PEM first.
func TestEncodePrivateKeyThroughX509RoundTrips(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	require.NoError(t, err)
	for _, tt := range []struct {
		key        crypto.Signer
		own, pkcs8 string
	}{
		{rsaKey, "RSA PRIVATE KEY", "PRIVATE KEY"},
		{edKey, "PRIVATE KEY", "PRIVATE KEY"},
		{p224, "EC PRIVATE KEY", "PRIVATE KEY"},
	} {
		for _, pkcs8 := range []bool{false, true} {
			data, err := EncodePrivateKey(tt.key, pkcs8)
			require.NoError(t, err)
			block, _ := pem.Decode(data)
			require.NotNil(t, block)
			want := tt.own
			if pkcs8 {
				want = tt.pkcs8
			}
			assert.Equal(t, want, block.Type)
			back, err := ParsePrivateKey(data)
			require.NoError(t, err)
			assert.True(t, tt.key.(interface{ Equal(crypto.PrivateKey) bool }).Equal(back), "%T pkcs8=%v", tt.key, pkcs8)
		}
	}
}
