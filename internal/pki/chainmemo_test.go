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

// The chains of one CA share its parsed certificate (held once, not once a
// chain), each reading as ParseChain reads it; a chain forgotten is parsed
// again when read again.
func TestChainMemo_SharesIssuersAndForgets(t *testing.T) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ca"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	leaf := func(serial int64, name string) []byte {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			DNSNames: []string{name}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
		require.NoError(t, err)
		return EncodeDER(der, caDER)
	}
	a, b := leaf(2, "a.example.test"), leaf(3, "b.example.test")

	m := &ChainMemo{}
	ca1, err := m.Parse(a)
	require.NoError(t, err)
	ca2, err := m.Parse(b)
	require.NoError(t, err)
	require.Len(t, ca1, 2)
	require.Len(t, ca2, 2)
	assert.Same(t, ca1[1], ca2[1], "the CA parsed once for both chains")
	assert.Equal(t, []string{"b.example.test"}, ca2[0].DNSNames)
	want, err := ParseChain(b)
	require.NoError(t, err)
	assert.Equal(t, want[1].Raw, ca2[1].Raw)
	assert.Equal(t, 2, m.Len())

	m.Forget(a)
	assert.Equal(t, 1, m.Len())
	_, err = m.Parse(a)
	require.NoError(t, err)
	assert.EqualValues(t, 3, m.Parsed(), "a forgotten chain is parsed again")

	badCA := append(append([]byte{}, EncodeDER(caDER[:40])...), 0)
	_, want2 := ParseChain(append(EncodeDER(caDER), badCA...))
	_, got := m.Parse(append(EncodeDER(caDER), badCA...))
	require.Error(t, want2)
	assert.Equal(t, want2.Error(), got.Error())
}
