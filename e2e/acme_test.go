package e2e

import (
	"crypto/x509"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

func TestACME_HTTP01_OneName(t *testing.T) {
	h := startACME(t, acmeSetup{})
	c := h.issue(h.acme.Issuer("default", "acme"), testrig.ACMECertificate("default", "web", "acme", "web.example.test"))
	require.Equal(t, 1, *c.Status.Revision)

	st := h.handshake("web.example.test")
	assert.Equal(t, []string{"web.example.test"}, st.PeerCertificates[0].DNSNames)
	assert.Equal(t, 1, h.acme.OrderCount())
}

// countChallengeRequests wraps an HTTP-01 handler and counts the requests
// for challenge tokens it sees.
func countChallengeRequests(n *atomic.Int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/.well-known/acme-challenge/") {
				n.Add(1)
			}
			next.ServeHTTP(w, r)
		})
	}
}

func TestACME_TLSALPN01_ValidatedOverTLSALPN(t *testing.T) {
	var httpHits atomic.Int64
	rec := &recordingStore{Store: memory.New()}
	h := startACME(t, acmeSetup{store: rec, httpWrap: countChallengeRequests(&httpHits)})
	iss := h.acme.Issuer("default", "alpn", solver.Config{TLSALPN01: &solver.TLSALPN01Config{}})
	c := h.issue(iss, testrig.ACMECertificate("default", "web", "alpn", "alpn.example.test"))
	require.Equal(t, 1, *c.Status.Revision)

	assert.Equal(t, []solver.Type{solver.TLSALPN01}, rec.types(), "one TLS-ALPN-01 Challenge")
	assert.Zero(t, httpHits.Load(), "no HTTP-01 request reached the HTTP handler")
	assert.Equal(t, 1, h.acme.Requests(acmetest.EndpointChallenge), "the CA was asked to validate once")
	st := h.handshake("alpn.example.test")
	assert.Equal(t, []string{"alpn.example.test"}, st.PeerCertificates[0].DNSNames)
}

func TestACME_MultiSAN_OneOrderThreeAuthorizations(t *testing.T) {
	rec := &recordingStore{Store: memory.New()}
	h := startACME(t, acmeSetup{store: rec})
	names := []string{"a.example.test", "b.example.test", "c.example.test"}
	c := h.issue(h.acme.Issuer("default", "acme"), testrig.ACMECertificate("default", "multi", "acme", names...))

	assert.Equal(t, 1, h.acme.OrderCount())
	orders := rec.createdOf(meta.KindOrder)
	require.Len(t, orders, 1)
	o := &order.Order{}
	require.NoError(t, h.st.Get(h.ctx, orders[0], o))
	assert.Len(t, o.Status.Authorizations, 3)
	assert.Len(t, rec.createdOf(meta.KindChallenge), 3, "one Challenge per authorization")
	assert.Equal(t, 3, h.acme.Requests(acmetest.EndpointChallenge))

	leaf := secretLeaf(t, h, "default", c.Spec.SecretName)
	assert.ElementsMatch(t, names, leaf.DNSNames)
	for _, n := range names {
		assert.Equal(t, leaf.SerialNumber, h.handshake(n).PeerCertificates[0].SerialNumber, n)
	}
}

func TestACME_IPAddressIdentifier_HTTP01(t *testing.T) {
	h := startACME(t, acmeSetup{})
	crt := testrig.ACMECertificate("default", "ip", "acme")
	crt.Spec.IPAddresses = []string{"127.0.0.1"}
	c := h.issue(h.acme.Issuer("default", "acme"), crt)

	leaf := secretLeaf(t, h, "default", c.Spec.SecretName)
	require.Len(t, leaf.IPAddresses, 1)
	assert.True(t, leaf.IPAddresses[0].Equal(net.ParseIP("127.0.0.1")))
	assert.Empty(t, leaf.DNSNames)
	assert.Equal(t, 1, h.acme.Requests(acmetest.EndpointChallenge))
}

func TestACME_AuthzReuse_SecondCertificateNeedsNoChallenge(t *testing.T) {
	rec := &recordingStore{Store: memory.New()}
	h := startACME(t, acmeSetup{store: rec, acmeOpts: []acmetest.Option{acmetest.WithAuthzReusePercent(100)}})
	names := []string{"reuse.example.test", "www.reuse.example.test"}
	h.issue(h.acme.Issuer("default", "acme"), testrig.ACMECertificate("default", "first", "acme", names...))
	challenges, accepts := len(rec.createdOf(meta.KindChallenge)), h.acme.Requests(acmetest.EndpointChallenge)
	require.Equal(t, 2, challenges)

	h.issue(nil, testrig.ACMECertificate("default", "second", "acme", names...))
	assert.Equal(t, 2, h.acme.OrderCount(), "a second order")
	assert.Len(t, rec.createdOf(meta.KindChallenge), challenges, "no new Challenge")
	assert.Equal(t, accepts, h.acme.Requests(acmetest.EndpointChallenge), "nothing accepted at the CA")

	// The CA answered the second newOrder with a ready order: every
	// authorization was already valid.
	assert.Len(t, rec.createdOf(meta.KindOrder), 2)
}

func TestACME_PreferredChain_ChoosesAlternateOrFallsBack(t *testing.T) {
	h := startACME(t, acmeSetup{acmeOpts: []acmetest.Option{acmetest.WithAlternateRoots(1)}})
	require.Equal(t, 2, h.acme.NumRoots())
	roots := make([]*x509.Certificate, 2)
	for i := range roots {
		certs, err := pki.ParseChain(h.acme.RootPEM(i))
		require.NoError(t, err)
		roots[i] = certs[0]
	}
	require.NotEqual(t, roots[0].Subject.CommonName, roots[1].Subject.CommonName)

	alt := h.acme.Issuer("default", "alt")
	alt.Spec.ACME.PreferredChain = roots[1].Subject.CommonName
	c := h.issue(alt, testrig.ACMECertificate("default", "alt", "alt", "alt.example.test"))
	chain := secretChain(t, h, "default", c.Spec.SecretName)
	assert.Equal(t, roots[1].Subject.CommonName, chain[len(chain)-1].Issuer.CommonName)
	assert.NoError(t, verifyChain(chain, roots[1]), "chain leads to the preferred root")
	assert.Error(t, verifyChain(chain, roots[0]), "chain does not lead to the default root")

	none := h.acme.Issuer("default", "none")
	none.Spec.ACME.PreferredChain = "No Such Root CA"
	c = h.issue(none, testrig.ACMECertificate("default", "def", "none", "def.example.test"))
	chain = secretChain(t, h, "default", c.Spec.SecretName)
	assert.NoError(t, verifyChain(chain, roots[0]), "unknown preference falls back to the default chain")
	assert.Error(t, verifyChain(chain, roots[1]))
}

// verifyChain verifies chain (leaf first) against a pool holding only root.
func verifyChain(chain []*x509.Certificate, root *x509.Certificate) error {
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(root)
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := chain[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	return err
}

func secretChain(t *testing.T, h *harness, ns, name string) []*x509.Certificate {
	t.Helper()
	s := &secret.Secret{}
	require.NoError(t, h.st.Get(h.ctx, meta.Ref{Kind: meta.KindSecret, Namespace: ns, Name: name}, s))
	chain, err := pki.ParseChain(s.Data[secret.TLSCertKey])
	require.NoError(t, err)
	return chain
}

func secretLeaf(t *testing.T, h *harness, ns, name string) *x509.Certificate {
	t.Helper()
	return secretChain(t, h, ns, name)[0]
}

var _ store.Store = (*recordingStore)(nil)
