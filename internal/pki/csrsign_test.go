package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"net"
	"net/url"
	"testing"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// encodeCSR writes what x509.CreateCertificateRequest writes, byte for
// byte (Ed25519 signatures are deterministic, so there the whole CSR; for
// the others the part that is signed, and the signature checks), for every
// key certflow generates and every field of CSRTemplate.
func TestEncodeCSRMatchesX509(t *testing.T) {
	ecKey := func(c elliptic.Curve) crypto.Signer {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		require.NoError(t, err)
		return k
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	keys := map[string]crypto.Signer{
		"ecdsa-p256": ecKey(elliptic.P256()), "ecdsa-p384": ecKey(elliptic.P384()), "ecdsa-p521": ecKey(elliptic.P521()),
		"rsa-2048": rsaKey, "ed25519": edKey,
	}
	u, err := url.Parse("spiffe://cluster.local/ns/default/sa/web")
	require.NoError(t, err)
	templates := map[string]CSRTemplate{
		"one name":         {DNSNames: []string{"a.example.test"}},
		"names and a CN":   {Subject: pkix.Name{CommonName: "a.example.test"}, DNSNames: []string{"a.example.test", "*.b.example.test"}},
		"IP addresses":     {IPAddresses: []net.IP{net.ParseIP("192.0.2.1"), net.ParseIP("2001:db8::1"), net.IPv4(198, 51, 100, 7).To16()}},
		"URIs and emails":  {URIs: []*url.URL{u}, EmailAddresses: []string{"a@example.test"}},
		"all of the names": {DNSNames: []string{"a.example.test"}, IPAddresses: []net.IP{net.ParseIP("192.0.2.1")}, URIs: []*url.URL{u}, EmailAddresses: []string{"a@example.test"}},
		"a full subject": {Subject: pkix.Name{CommonName: "cn", Organization: []string{"O1", "O2"}, OrganizationalUnit: []string{"OU"},
			Country: []string{"DE"}, Province: []string{"P"}, Locality: []string{"L"}, StreetAddress: []string{"S"}, PostalCode: []string{"1"},
			SerialNumber: "42", ExtraNames: []pkix.AttributeTypeAndValue{{Type: asn1.ObjectIdentifier{2, 5, 4, 12}, Value: "title"}}},
			DNSNames: []string{"a.example.test"}},
		"a subject and no names": {Subject: pkix.Name{CommonName: "only a subject"}},
		"nothing at all":         {},
	}
	for kn, key := range keys {
		for tn, tmpl := range templates {
			t.Run(kn+"/"+tn, func(t *testing.T) {
				ours, ok, err := encodeCSR(key, tmpl)
				require.NoError(t, err)
				require.True(t, ok)
				theirs, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: tmpl.Subject,
					DNSNames: tmpl.DNSNames, IPAddresses: tmpl.IPAddresses, URIs: tmpl.URIs, EmailAddresses: tmpl.EmailAddresses}, key)
				require.NoError(t, err)
				a, err := x509.ParseCertificateRequest(ours)
				require.NoError(t, err)
				b, err := x509.ParseCertificateRequest(theirs)
				require.NoError(t, err)
				assert.Equal(t, b.RawTBSCertificateRequest, a.RawTBSCertificateRequest)
				assert.Equal(t, b.SignatureAlgorithm, a.SignatureAlgorithm)
				assert.Equal(t, outerAlgorithm(t, theirs), outerAlgorithm(t, ours), "AlgorithmIdentifier, parameters included")
				require.NoError(t, a.CheckSignature())
				if kn == "ed25519" {
					assert.Equal(t, theirs, ours)
				}
			})
		}
	}
}

// A name an IA5String cannot hold is refused, as x509 refuses it.
func TestEncodeCSRRefusesNonASCIINames(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	for _, tmpl := range []CSRTemplate{{DNSNames: []string{"bücher.example.test"}}, {EmailAddresses: []string{"ü@example.test"}}} {
		_, err := CreateCSR(key, tmpl)
		require.Error(t, err)
		_, xerr := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{DNSNames: tmpl.DNSNames, EmailAddresses: tmpl.EmailAddresses}, key)
		require.Error(t, xerr)
	}
}

// A key encodeCSR does not know (an ECDSA curve certflow never generates)
// goes through x509.
func TestCreateCSRHandsOtherKeysToX509(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	require.NoError(t, err)
	tmpl := CSRTemplate{DNSNames: []string{"a.example.test"}}
	_, ok, err := encodeCSR(key, tmpl)
	require.NoError(t, err)
	require.False(t, ok)
	pemCSR, err := CreateCSR(key, tmpl)
	require.NoError(t, err)
	csr, err := ParseCSR(pemCSR)
	require.NoError(t, err)
	assert.Equal(t, tmpl.DNSNames, csr.DNSNames)
}

// BenchmarkCreateCSR compares CreateCSR with x509.CreateCertificateRequest
// (which verifies the signature it made) for a P-256 key and one name, in
// the same run.
func BenchmarkCreateCSR(b *testing.B) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(b, err)
	tmpl := CSRTemplate{DNSNames: []string{"a.example.test"}}
	b.Run("x509", func(b *testing.B) {
		for b.Loop() {
			if _, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{DNSNames: tmpl.DNSNames}, key); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("certflow", func(b *testing.B) {
		for b.Loop() {
			if _, err := CreateCSR(key, tmpl); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// outerAlgorithm returns the DER of a CSR's signatureAlgorithm, and checks
// that nothing follows the signature.
func outerAlgorithm(t *testing.T, der []byte) []byte {
	t.Helper()
	var csr, tbs, alg cryptobyte.String
	var sig asn1.BitString
	in := cryptobyte.String(der)
	require.True(t, in.ReadASN1(&csr, cbasn1.SEQUENCE) && in.Empty())
	require.True(t, csr.ReadASN1Element(&tbs, cbasn1.SEQUENCE))
	require.True(t, csr.ReadASN1Element(&alg, cbasn1.SEQUENCE))
	require.True(t, csr.ReadASN1BitString(&sig) && csr.Empty())
	return alg
}
