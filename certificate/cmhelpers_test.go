package certificate

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/pki"
)

// Helpers standing in for cert-manager's test/unit/crypto and gen packages
// in the tables ported from cert-manager.

var (
	keyCacheMu sync.Mutex
	keyCache   = map[string]crypto.Signer{}
)

// testKey returns a key shared by every test asking for the same name, so the
// RSA keys are generated once per run.
func testKey(t *testing.T, name, alg string, size int) crypto.Signer {
	t.Helper()
	keyCacheMu.Lock()
	defer keyCacheMu.Unlock()
	if k, ok := keyCache[name]; ok {
		return k
	}
	k, err := pki.GenerateKey(alg, size)
	require.NoError(t, err)
	keyCache[name] = k
	return k
}

func pemOf(t *testing.T, key crypto.Signer) []byte {
	t.Helper()
	b, err := pki.EncodePrivateKey(key, true)
	require.NoError(t, err)
	return b
}

// leafTemplate is what a test certificate holds.
type leafTemplate struct {
	cn       string
	dns, ips []string
	nb, na   time.Time
}

func selfSigned(t *testing.T, key crypto.Signer, l leafTemplate) *x509.Certificate {
	t.Helper()
	if l.na.IsZero() {
		l.nb, l.na = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: l.cn},
		DNSNames: l.dns, NotBefore: l.nb, NotAfter: l.na}
	for _, s := range l.ips {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(s))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	require.NoError(t, err)
	c, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return c
}

func leafPEM(t *testing.T, key crypto.Signer, l leafTemplate) []byte {
	t.Helper()
	return pki.EncodeCerts(selfSigned(t, key, l))
}

func csrFor(t *testing.T, key crypto.Signer, spec *Spec) []byte {
	t.Helper()
	b, err := buildCSR(spec, key)
	require.NoError(t, err)
	return b
}

// pki_leaf is a leaf signed by the harness CA.
func pki_leaf(t *testing.T, h *harness, key crypto.Signer, cn string, dns []string) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: cn}, DNSNames: dns,
		NotBefore: h.clock.Now().Add(-24 * time.Hour), NotAfter: h.clock.Now().Add(60 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, h.caCert, key.Public(), h.caKey)
	require.NoError(t, err)
	return pki.EncodeDER(der)
}
