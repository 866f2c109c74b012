package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestChainMemo_ParsesOnce: a chain read many times is parsed once, and
// reads as ParseChain reads it; an unreadable one fails each time as
// ParseChain fails.
func TestChainMemo_ParsesOnce(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "leaf"},
		DNSNames: []string{"a.example.test"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	require.NoError(t, err)
	chain := EncodeDER(der)

	m := &ChainMemo{}
	for range 3 {
		certs, err := m.Parse(chain)
		require.NoError(t, err)
		require.Len(t, certs, 1)
		assert.Equal(t, []string{"a.example.test"}, certs[0].DNSNames)
	}
	assert.EqualValues(t, 1, m.Parsed())

	bad := []byte("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n")
	_, want := ParseChain(bad)
	require.Error(t, want)
	for range 2 {
		_, err := m.Parse(bad)
		assert.Equal(t, want.Error(), err.Error())
	}
	var none *ChainMemo
	certs, err := none.Parse(chain)
	require.NoError(t, err)
	assert.Len(t, certs, 1)
}
