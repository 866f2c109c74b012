package pki

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRandomSerial(t *testing.T) {
	seen := map[string]bool{}
	for range 64 {
		n, err := RandomSerial()
		require.NoError(t, err)
		assert.Positive(t, n.Sign())
		assert.LessOrEqual(t, n.BitLen(), 128)
		assert.False(t, seen[n.String()], "serials do not repeat")
		seen[n.String()] = true
	}
}

func TestTemplateFromCSRAndSign(t *testing.T) {
	key, err := GenerateKey(AlgECDSA, 256)
	require.NoError(t, err)
	csrPEM, err := CreateCSR(key, CSRTemplate{Subject: pkix.Name{CommonName: "a.example", Organization: []string{"Org"}}, DNSNames: []string{"a.example"}})
	require.NoError(t, err)
	csr, err := ParseCSR(csrPEM)
	require.NoError(t, err)
	nb := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

	tmpl, err := TemplateFromCSR(csr, LeafTemplate{NotBefore: nb, NotAfter: nb.Add(time.Hour), IsCA: true,
		Usages: []string{"digital signature", "server auth"}, CRLDistributionPoints: []string{"http://crl"}, OCSPServers: []string{"http://ocsp"}})
	require.NoError(t, err)
	der, err := SignCertificate(tmpl, key.Public(), tmpl, key)
	require.NoError(t, err)
	c, err := x509.ParseCertificate(der)
	require.NoError(t, err)

	assert.Equal(t, csr.RawSubject, c.RawSubject, "subject copied byte for byte")
	assert.Equal(t, []string{"a.example"}, c.DNSNames)
	assert.True(t, c.NotBefore.Equal(nb))
	assert.True(t, c.NotAfter.Equal(nb.Add(time.Hour)))
	assert.True(t, c.IsCA)
	assert.Equal(t, x509.KeyUsageDigitalSignature|x509.KeyUsageCertSign, c.KeyUsage)
	assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, c.ExtKeyUsage)
	assert.Equal(t, []string{"http://crl"}, c.CRLDistributionPoints)
	assert.Equal(t, []string{"http://ocsp"}, c.OCSPServer)
	require.NoError(t, c.CheckSignatureFrom(c))
}

func TestTemplateFromCSRRejectsUnknownUsage(t *testing.T) {
	key, err := GenerateKey(AlgECDSA, 256)
	require.NoError(t, err)
	csrPEM, err := CreateCSR(key, CSRTemplate{DNSNames: []string{"a.example"}})
	require.NoError(t, err)
	csr, err := ParseCSR(csrPEM)
	require.NoError(t, err)
	_, err = TemplateFromCSR(csr, LeafTemplate{Usages: []string{"flying"}})
	assert.ErrorContains(t, err, `unknown key usage "flying"`)
}
