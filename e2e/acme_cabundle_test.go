package e2e

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/testrig"
)

// TestACME_CABundle_TrustsPrivateCA gives the Manager an HTTP client that
// trusts nothing special; the issuer's caBundle alone must make the ACME
// server trusted, and orders must still see its Retry-After headers.
func TestACME_CABundle_TrustsPrivateCA(t *testing.T) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	client := &http.Client{Transport: transport}
	h := startACME(t, acmeSetup{config: func(c *certflow.Config) { c.HTTPClient = client }})
	iss := h.acme.Issuer("default", "private")
	iss.Spec.ACME.CABundle = h.acme.TLSCertPEM()
	c := h.issue(iss, testrig.ACMECertificate("default", "web", "private", "web.example.test"))
	require.Equal(t, 1, *c.Status.Revision)
	assert.Equal(t, []string{"web.example.test"}, h.handshake("web.example.test").PeerCertificates[0].DNSNames)
	// The Manager keeps the user's client (New copies the Config, not the
	// client), so the client handed in is the one to check.
	_, isRecorder := client.Transport.(*challenge.RetryAfterRecorder)
	assert.False(t, isRecorder, "the user's client is not modified")
	assert.Same(t, transport, client.Transport, "the user's client keeps its transport")
}
