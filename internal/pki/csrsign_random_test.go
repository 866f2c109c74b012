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
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// encodeCSR writes x509's DER for random templates (names of lengths
// around DER's length-octet boundaries, malformed IPs, URIs with queries,
// subjects or none) and for SAN lists whose contents cross 127, 255 and
// 65535 bytes. PKCS#1 v1.5 and Ed25519 signatures are deterministic, so
// there the whole CSR is compared; for ECDSA everything but the signature.
func TestEncodeCSRMatchesX509OnRandomTemplates(t *testing.T) {
	r := mrand.New(mrand.NewPCG(11, 8555))
	text := func(n int) string {
		const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-._*"
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	lengths := []int{0, 1, 61, 62, 63, 64, 120, 125, 126, 127, 128, 129, 250, 253, 254, 255, 256, 257, 1000}
	var templates []CSRTemplate
	for range 30 {
		var tm CSRTemplate
		for range r.IntN(4) {
			tm.DNSNames = append(tm.DNSNames, text(lengths[r.IntN(len(lengths))]))
		}
		for range r.IntN(3) {
			tm.EmailAddresses = append(tm.EmailAddresses, text(r.IntN(130))+"@example.test")
		}
		for range r.IntN(3) {
			switch r.IntN(3) {
			case 0:
				tm.IPAddresses = append(tm.IPAddresses, net.IPv4(byte(r.IntN(256)), 0, 2, 1))
			case 1:
				tm.IPAddresses = append(tm.IPAddresses, net.ParseIP(fmt.Sprintf("2001:db8::%x", r.IntN(1<<16))))
			default:
				tm.IPAddresses = append(tm.IPAddresses, net.IP{192, 0, 2, 1, 5}) // neither length: written as is
			}
		}
		for range r.IntN(3) {
			tm.URIs = append(tm.URIs, &url.URL{Scheme: "spiffe", Host: "td", Path: "/" + text(r.IntN(300)), RawQuery: "q=" + text(r.IntN(5))})
		}
		if r.IntN(2) == 0 {
			tm.Subject = pkix.Name{CommonName: text(r.IntN(64)), Organization: []string{text(r.IntN(200))}}
		}
		templates = append(templates, tm)
	}
	for _, total := range []int{120, 127, 128, 255, 256, 65535 - 20, 65536, 70000} {
		var tm CSRTemplate
		for sum := 0; sum < total; sum += 65 {
			tm.DNSNames = append(tm.DNSNames, strings.Repeat("a", 63))
		}
		templates = append(templates, tm)
	}

	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	p521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	require.NoError(t, err)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	for _, key := range []crypto.Signer{p256, p521, rsaKey, edKey} {
		for i, tm := range templates {
			ours, ok, err := encodeCSR(key, tm)
			require.True(t, ok)
			require.NoError(t, err, "template %d", i)
			theirs, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: tm.Subject,
				DNSNames: tm.DNSNames, IPAddresses: tm.IPAddresses, URIs: tm.URIs, EmailAddresses: tm.EmailAddresses}, key)
			require.NoError(t, err, "template %d", i)
			if _, ok := key.(*ecdsa.PrivateKey); !ok {
				require.Equal(t, theirs, ours, "%T, template %d", key, i)
				continue
			}
			// x509's CSR with our signature in place of its own.
			var csr struct {
				Info      asn1.RawValue
				Algorithm asn1.RawValue
				Signature asn1.BitString
			}
			rest, err := asn1.Unmarshal(ours, &csr)
			require.NoError(t, err)
			require.Empty(t, rest)
			require.NoError(t, checkSignature(key.Public(), csr.Info.FullBytes, csr.Signature.Bytes), "template %d", i)
			signature := csr.Signature
			_, err = asn1.Unmarshal(theirs, &csr)
			require.NoError(t, err)
			csr.Signature = signature
			want, err := asn1.Marshal(csr)
			require.NoError(t, err)
			require.Equal(t, want, ours, "%T, template %d", key, i)
		}
	}
}

// checkSignature verifies an ECDSA signature over a CSR's info with the
// hash x509 picks for the curve.
func checkSignature(pub crypto.PublicKey, info, sig []byte) error {
	k := pub.(*ecdsa.PublicKey)
	h := map[int]crypto.Hash{256: crypto.SHA256, 384: crypto.SHA384, 521: crypto.SHA512}[k.Curve.Params().BitSize].New()
	h.Write(info)
	if !ecdsa.VerifyASN1(k, h.Sum(nil), sig) {
		return fmt.Errorf("signature does not verify")
	}
	return nil
}
