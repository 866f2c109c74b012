package e2e

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/challenge"
)

// TestACME_CABundle_TrustsPrivateCA gives the Manager an HTTP client that
// trusts nothing special; the issuer's caBundle alone must make the ACME
// server trusted, and orders must still see its Retry-After headers.
func TestACME_CABundle_TrustsPrivateCA(t *testing.T) {
	h := startACME(t, acmeSetup{config: func(c *Config) {
		c.HTTPClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}})
	iss := h.acmeIssuer("default", "private")
	iss.Spec.ACME.CABundle = h.acme.TLSCertPEM()
	c := h.issue(iss, acmeCertificate("default", "web", "private", "web.example.test"))
	require.Equal(t, 1, *c.Status.Revision)
	assert.Equal(t, []string{"web.example.test"}, h.handshake("web.example.test").PeerCertificates[0].DNSNames)
	_, isRecorder := h.m.cfg.HTTPClient.Transport.(*challenge.RetryAfterRecorder)
	assert.False(t, isRecorder, "the user's client is not modified")
}
