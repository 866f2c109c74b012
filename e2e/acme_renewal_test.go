package e2e

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
)

// get sends one HTTP/1.1 request over an open connection and returns the body.
func get(t *testing.T, rw io.ReadWriter, br *bufio.Reader) string {
	t.Helper()
	_, err := io.WriteString(rw, "GET / HTTP/1.1\r\nHost: renew.example.test\r\n\r\n")
	require.NoError(t, err)
	res, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return string(b)
}

func TestACME_Renewal_NewOrderNewLeafOldConnectionsKeepWorking(t *testing.T) {
	const validity = 6 * time.Second
	// Without ARI: Pebble's window for a six-second certificate is its
	// whole validity, and this test is about renewBefore's time.
	h := startACME(t, acmeSetup{acmeOpts: []acmetest.Option{acmetest.WithCertificateValidity(validity)},
		config: func(c *certflow.Config) { c.ACME.NoRenewalInfo = true }})
	c := h.issue(h.acme.Issuer("default", "acme"), testrig.ACMECertificate("default", "renew", "acme", "renew.example.test"))
	require.Equal(t, 1, *c.Status.Revision)
	require.Equal(t, 1, h.acme.OrderCount())
	lifetime := c.Status.NotAfter.Sub(*c.Status.NotBefore)
	renewAt := c.Status.RenewalTime.Sub(*c.Status.NotBefore)
	// Half-life truncated to the second, less the jitter (a tenth at most).
	assert.InDelta(t, float64(lifetime)/2, float64(renewAt), float64(time.Second+lifetime/10), "a short-lived certificate without ARI renews at about half-life")
	assert.Equal(t, certificate.RenewalBasisShortLivedHalfLife, certificate.RenewalBasisOf(c))

	// A connection opened before the renewal, kept alive across it.
	old := h.tlsDial("renew.example.test")
	defer old.Close()
	oldSerial := old.ConnectionState().PeerCertificates[0].SerialNumber
	br := bufio.NewReader(old)
	require.Equal(t, "hello", get(t, old, br))

	ref := meta.RefOf(c)
	var renewed *certificate.Certificate
	h.awaitStore("revision 2", func() bool {
		renewed = &certificate.Certificate{}
		require.NoError(t, h.m.Get(h.ctx, ref, renewed))
		return testrig.CertReady(renewed) && *renewed.Status.Revision == 2
	})
	// The Manager serves what its Store watch has delivered; the renewed
	// Secret is served once the Manager has observed it.
	newSerial := secretLeaf(t, h, "default", c.Spec.SecretName).SerialNumber
	require.Eventually(t, func() bool {
		crt, err := h.m.GetCertificate(&tls.ClientHelloInfo{ServerName: "renew.example.test"})
		if err != nil || len(crt.Certificate) == 0 {
			return false
		}
		leaf, err := x509.ParseCertificate(crt.Certificate[0])
		return err == nil && leaf.SerialNumber.Cmp(newSerial) == 0
	}, 10*time.Second, 5*time.Millisecond, "the Manager serves the renewed leaf")
	assert.Equal(t, 2, h.acme.OrderCount(), "renewal opened a new order")
	assert.False(t, time.Now().Before(*c.Status.RenewalTime), "not renewed before its renewal time")

	leaf := h.handshake("renew.example.test").PeerCertificates[0]
	assert.NotEqual(t, oldSerial, leaf.SerialNumber, "new handshakes get the new leaf")
	assert.Equal(t, secretLeaf(t, h, "default", c.Spec.SecretName).SerialNumber, leaf.SerialNumber)
	assert.Equal(t, "hello", get(t, old, br), "the old connection still works")
	assert.Equal(t, oldSerial, old.ConnectionState().PeerCertificates[0].SerialNumber)
}
