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

// Past issuersMemoSize issuers, one makes room for the next: the others
// are still shared, not all parsed again.
func TestChainMemo_IssuersEvictOne(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	cert := func(serial int64, name string) []byte {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
		require.NoError(t, err)
		return der
	}
	leaf := cert(1, "leaf")
	issuers := make([][]byte, issuersMemoSize+1)
	for i := range issuers {
		issuers[i] = cert(int64(i+2), "ca")
	}
	m := &ChainMemo{}
	first := make([]*x509.Certificate, len(issuers))
	for i, ca := range issuers {
		certs, err := m.Parse(EncodeDER(leaf, ca))
		require.NoError(t, err)
		require.Len(t, certs, 2)
		first[i] = certs[1]
	}
	require.Len(t, m.issuers, issuersMemoSize, "one issuer made room for the last")
	held := 0
	for i, ca := range issuers {
		if c, ok := m.issuers[string(ca)]; ok {
			assert.Same(t, first[i], c)
			held++
		}
	}
	assert.Equal(t, issuersMemoSize, held, "every issuer but one is still held")
	for _, i := range []int{issuersMemoSize, issuersMemoSize - 1} {
		if _, ok := m.issuers[string(issuers[i])]; !ok {
			continue // the one evicted
		}
		again, err := m.Parse(EncodeDER(cert(int64(1000+i), "other leaf"), issuers[i]))
		require.NoError(t, err)
		assert.Same(t, first[i], again[1], "issuer %d shared by a new chain", i)
	}
}

// A nil ChainMemo holds nothing and parsed nothing.
func TestChainMemo_NilCounts(t *testing.T) {
	var m *ChainMemo
	assert.Zero(t, m.Len())
	assert.Zero(t, m.Parsed())
}
