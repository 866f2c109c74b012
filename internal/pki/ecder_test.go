package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestECDERMatchesX509: the hand-written encoders write x509's bytes, for
// every curve and many keys (the private scalar and the point's leading
// zero bytes vary in length), and x509 reads the key back.
func TestECDERMatchesX509(t *testing.T) {
	for _, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		t.Run(c.Params().Name, func(t *testing.T) {
			for range 50 {
				k, err := ecdsa.GenerateKey(c, rand.Reader)
				require.NoError(t, err)

				ours, ok, err := ecPublicKeyDER(&k.PublicKey)
				require.True(t, ok)
				require.NoError(t, err)
				theirs, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
				require.NoError(t, err)
				require.Equal(t, theirs, ours, "SubjectPublicKeyInfo")

				ours, ok, err = ecPrivateKeyDER(k, false)
				require.True(t, ok)
				require.NoError(t, err)
				theirs, err = x509.MarshalECPrivateKey(k)
				require.NoError(t, err)
				require.Equal(t, theirs, ours, "SEC 1")

				ours, ok, err = ecPrivateKeyDER(k, true)
				require.True(t, ok)
				require.NoError(t, err)
				theirs, err = x509.MarshalPKCS8PrivateKey(k)
				require.NoError(t, err)
				require.Equal(t, theirs, ours, "PKCS#8")

				for _, pkcs8 := range []bool{false, true} {
					pemKey, err := EncodePrivateKey(k, pkcs8)
					require.NoError(t, err)
					back, err := ParsePrivateKey(pemKey)
					require.NoError(t, err)
					assert.True(t, k.Equal(back))
				}
			}
		})
	}
}

// TestECDERRefusesUnknownCurves leaves a curve it does not name to x509.
func TestECDERRefusesUnknownCurves(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	require.NoError(t, err)
	_, ok, _ := ecPrivateKeyDER(k, true)
	assert.False(t, ok)
	_, ok, _ = ecPublicKeyDER(&k.PublicKey)
	assert.False(t, ok)
}

// TestECDERAllocatesLessThanX509: the point of the encoders, measured
// against x509 (and encoding/pem) in the same run.
func TestECDERAllocatesLessThanX509(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ours := testing.AllocsPerRun(50, func() {
		if _, err := EncodePrivateKey(k, true); err != nil {
			t.Fatal(err)
		}
	})
	theirs := testing.AllocsPerRun(50, func() {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	})
	assert.Less(t, ours, 0.7*theirs, "PKCS#8 in PEM: ours %v, x509's %v", ours, theirs)
	ours = testing.AllocsPerRun(50, func() { _, _ = publicKeyDER(&k.PublicKey) })
	theirs = testing.AllocsPerRun(50, func() { _, _ = x509.MarshalPKIXPublicKey(&k.PublicKey) })
	assert.Less(t, ours, 0.7*theirs, "SubjectPublicKeyInfo: ours %v, x509's %v", ours, theirs)
}
