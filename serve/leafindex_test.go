package serve

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
)

// leafShapes returns leaf certificates of the shapes serving meets (and a
// few it may): DNS and IP SANs, none, e-mail and URI SANs, RSA and ECDSA
// keys, and whether the walk reads them itself.
func leafShapes(t testing.TB) map[string]struct {
	der    []byte
	walked bool
} {
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	make := func(tmpl x509.Certificate, key any, pub any) []byte {
		tmpl.SerialNumber = big.NewInt(42)
		tmpl.Subject = pkix.Name{CommonName: "leaf"}
		tmpl.NotBefore = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		if tmpl.NotAfter.IsZero() {
			tmpl.NotAfter = time.Date(2026, 4, 1, 12, 30, 15, 0, time.UTC)
		}
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		der, err := x509.CreateCertificate(rand.Reader, &tmpl, &tmpl, pub, key)
		require.NoError(t, err)
		return der
	}
	u, _ := url.Parse("spiffe://example.org/leaf")
	shapes := map[string]struct {
		der    []byte
		walked bool
	}{
		"dns":              {make(x509.Certificate{DNSNames: []string{"a.example", "*.B.example"}}, ecKey, &ecKey.PublicKey), true},
		"dns and ips":      {make(x509.Certificate{DNSNames: []string{"a.example"}, IPAddresses: []net.IP{net.ParseIP("192.0.2.1"), net.ParseIP("2001:db8::1")}}, ecKey, &ecKey.PublicKey), true},
		"rsa":              {make(x509.Certificate{DNSNames: []string{"rsa.example"}}, rsaKey, &rsaKey.PublicKey), true},
		"no sans":          {make(x509.Certificate{}, ecKey, &ecKey.PublicKey), true},
		"generalized time": {make(x509.Certificate{DNSNames: []string{"far.example"}, NotAfter: time.Date(2051, 1, 1, 0, 0, 0, 0, time.UTC)}, ecKey, &ecKey.PublicKey), true},
		"email":            {make(x509.Certificate{DNSNames: []string{"a.example"}, EmailAddresses: []string{"x@a.example"}}, ecKey, &ecKey.PublicKey), false},
		"uri":              {make(x509.Certificate{DNSNames: []string{"a.example"}, URIs: []*url.URL{u}}, ecKey, &ecKey.PublicKey), false},
	}
	return shapes
}

func TestIndexLeafReadsWhatX509Does(t *testing.T) {
	for name, shape := range leafShapes(t) {
		t.Run(name, func(t *testing.T) {
			want, err := x509.ParseCertificate(shape.der)
			require.NoError(t, err)
			_, walked := walkLeaf(shape.der)
			assert.Equal(t, shape.walked, walked, "walked rather than parsed by x509")
			got, err := indexLeaf(shape.der)
			require.NoError(t, err)
			requireSameIndex(t, want, got)
		})
	}
}

func TestIndexLeafRefusesWhatX509Refuses(t *testing.T) {
	der := leafShapes(t)["dns"].der
	for name, bad := range map[string][]byte{
		"empty":         nil,
		"cut short":     der[:len(der)-1],
		"trailing data": append(append([]byte{}, der...), 0),
		"not a cert":    []byte("-----BEGIN CERTIFICATE-----"),
	} {
		t.Run(name, func(t *testing.T) {
			_, walked := walkLeaf(bad)
			assert.False(t, walked)
			_, err := indexLeaf(bad)
			_, want := x509.ParseCertificate(bad)
			require.Error(t, want)
			assert.Equal(t, want.Error(), err.Error(), "x509's own error")
		})
	}
}

func requireSameIndex(t testing.TB, want *x509.Certificate, got leafIndex) {
	t.Helper()
	require.Equal(t, want.DNSNames, got.dnsNames)
	require.Equal(t, len(want.IPAddresses), len(got.ips))
	for i := range got.ips {
		require.True(t, want.IPAddresses[i].Equal(got.ips[i]))
		require.Equal(t, len(want.IPAddresses[i]), len(got.ips[i]))
	}
	require.True(t, want.NotAfter.Equal(got.notAfter), "NotAfter %v, x509 says %v", got.notAfter, want.NotAfter)
}

// walkedParts are x509's errors for the parts of a leaf walkLeaf reads: a
// leaf x509 refuses with one of them the walk must not take. (x509 stops
// at the first error, so one it reports for a part the walk leaves to the
// first handshake says nothing about the parts after it.)
var walkedParts = []string{
	"malformed certificate", "malformed tbs certificate", "malformed version", "invalid version",
	"malformed serial number", "malformed signature algorithm identifier", "malformed algorithm identifier",
	"don't match", "malformed OID", "malformed parameters", "malformed issuer", "malformed validity",
	"malformed UTCTime", "malformed GeneralizedTime", "unsupported time format", "malformed spki",
	"malformed public key algorithm identifier", "malformed subjectPublicKey", "malformed issuerUniqueID",
	"malformed subjectUniqueID", "malformed extension", "duplicate extension", "malformed signature",
	"trailing data", "subject alternative name", "SAN dNSName", "IP address of length",
}

// FuzzIndexLeaf holds the walk to x509: for every leaf x509 parses, the
// same names and NotAfter; no leaf x509 refuses for a part the walk reads.
func FuzzIndexLeaf(f *testing.F) {
	for _, shape := range leafShapes(f) {
		f.Add(shape.der)
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		want, werr := x509.ParseCertificate(der)
		idx, walked := walkLeaf(der)
		got, err := indexLeaf(der)
		if werr != nil && walked {
			// Left to the first handshake; but not for a part it reads.
			for _, part := range walkedParts {
				require.NotContains(t, werr.Error(), part, "the walk took a leaf x509 refuses for a part it reads")
			}
			return
		}
		if werr != nil {
			require.Error(t, err)
			require.Equal(t, werr.Error(), err.Error(), "x509's own error")
			return
		}
		require.NoError(t, err)
		requireSameIndex(t, want, got)
		if walked {
			requireSameIndex(t, want, idx)
		}
	})
}

// TestApplyDropsLeafX509RefusesAtFirstHandshake: a leaf the walk takes and
// x509 refuses (here its public key is not a point of its curve) is served
// until the first handshake reads it with its key, which fails; the
// Secret is then dropped, blaming the certificate, and its name falls
// back, as for a broken key.
func TestApplyDropsLeafX509RefusesAtFirstHandshake(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ca := newTestCA(t)
	var logs testrig.Buffer
	invalid := make(chan error, 1)
	c := NewCache(Options{
		Logger:       slog.New(slog.NewTextHandler(&logs, nil)),
		OnInvalidKey: func(_ meta.Ref, err error) { invalid <- err },
	})
	fallback := ca.secretFor(t, "ns", "old", leaf{dns: []string{"a.example"}, notAfter: time.Now().Add(time.Hour)})
	newer := ca.secretFor(t, "ns", "new", leaf{dns: []string{"a.example"}, notAfter: time.Now().Add(20 * time.Hour)})
	der := leafDER(t, newer)
	parsed, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	at := bytes.Index(der, parsed.RawSubjectPublicKeyInfo) + len(parsed.RawSubjectPublicKeyInfo) - 40
	der[at] ^= 0xff // a coordinate of the point: off the curve
	_, err = x509.ParseCertificate(der)
	require.Error(t, err, "x509 refuses the leaf")
	_, walked := walkLeaf(der)
	require.True(t, walked, "the walk reads no public key")
	newer.Data[secret.TLSCertKey] = append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw})...)

	require.NoError(t, c.Apply([]*secret.Secret{fallback, newer}, nil), "the leaf is read in full with its key")
	assert.Equal(t, der, mustGet(t, c, "a.example").Certificate[0], "the later NotAfter is served until its key is used")
	addr := echoServer(t, c.TLSConfig())
	d := tls.Dialer{Config: &tls.Config{RootCAs: ca.pool, ServerName: "a.example"}}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err == nil {
		_ = conn.Close()
	}
	require.Error(t, err, "no handshake completes with it")
	assert.Equal(t, uint64(1), c.InvalidKeys())
	require.ErrorIs(t, <-invalid, errUnusableLeaf, "the certificate is blamed, not the key")
	assert.Contains(t, logs.String(), "unusable=certificate")
	assert.Equal(t, leafDER(t, fallback), mustGet(t, c, "a.example").Certificate[0], "the name falls back")
	ok := dial(ctx, t, addr, &tls.Config{RootCAs: ca.pool, ServerName: "a.example"})
	require.NoError(t, ok.HandshakeContext(ctx), "the fallback is served")
}

// BenchmarkIndexLeaf reads a leaf's index fields by the walk, beside
// x509.ParseCertificate of the same leaf (the baseline, what a load did).
func BenchmarkIndexLeaf(b *testing.B) {
	der := leafShapes(b)["dns"].der
	b.Run("walk", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := indexLeaf(der); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline x509.ParseCertificate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := x509.ParseCertificate(der); err != nil {
				b.Fatal(err)
			}
		}
	})
}
