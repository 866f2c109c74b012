package serve

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
)

// testCA signs leaves for tests; its pool lets TLS clients verify them.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t testing.TB) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "serve test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// leaf describes a certificate to issue.
type leaf struct {
	dns      []string
	ips      []string
	notAfter time.Time // zero: 12h from now
}

// issue returns PEM tls.crt (leaf then CA) and tls.key for l.
func (ca *testCA) issue(t testing.TB, l leaf) (crtPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	require.NoError(t, err)
	if l.notAfter.IsZero() {
		l.notAfter = time.Now().Add(12 * time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     l.notAfter,
		DNSNames:     l.dns,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, ip := range l.ips {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(ip))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	crtPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	crtPEM = append(crtPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw})...)
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return crtPEM, keyPEM
}

// secretFor issues l and wraps it in a TLS Secret named ns/name.
func (ca *testCA) secretFor(t testing.TB, ns, name string, l leaf) *secret.Secret {
	t.Helper()
	crt, key := ca.issue(t, l)
	return tlsSecret(ns, name, crt, key)
}

func tlsSecret(ns, name string, crt, key []byte) *secret.Secret {
	return &secret.Secret{
		ObjectMeta: meta.ObjectMeta{Namespace: ns, Name: name},
		Type:       secret.TypeTLS,
		Data:       map[string][]byte{secret.TLSCertKey: crt, secret.TLSKeyKey: key},
	}
}

func secretRef(ns, name string) meta.Ref {
	return meta.Ref{Kind: meta.KindSecret, Namespace: ns, Name: name}
}

// hello builds a ClientHelloInfo as crypto/tls would pass it.
func hello(name string, protos ...string) *tls.ClientHelloInfo {
	return &tls.ClientHelloInfo{ServerName: name, SupportedProtos: protos}
}

// addrConn is a net.Conn that only knows its local address, for hellos
// without SNI.
type addrConn struct {
	net.Conn
	local net.Addr
}

func (c addrConn) LocalAddr() net.Addr { return c.local }

func helloOn(ip string, protos ...string) *tls.ClientHelloInfo {
	h := hello("", protos...)
	h.Conn = addrConn{local: &net.TCPAddr{IP: net.ParseIP(ip), Port: 443}}
	return h
}

// leafNames returns the DNS and IP SANs of the certificate served.
func leafNames(t testing.TB, cert *tls.Certificate) []string {
	t.Helper()
	leaf := leafOf(t, cert)
	names := append([]string(nil), leaf.DNSNames...)
	for _, ip := range leaf.IPAddresses {
		names = append(names, ip.String())
	}
	return names
}

// leafOf parses the leaf of a certificate served: the index keeps no parsed
// Leaf (crypto/tls does not need it), so a test that reads one parses it.
func leafOf(t testing.TB, cert *tls.Certificate) *x509.Certificate {
	t.Helper()
	require.NotNil(t, cert)
	if cert.Leaf != nil { // a test's fake entry
		return cert.Leaf
	}
	require.NotEmpty(t, cert.Certificate)
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	require.NoError(t, err)
	return leaf
}
