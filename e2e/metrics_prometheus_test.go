package e2e

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/promtest"
	"github.com/certflow/certflow/internal/testrig"
)

// TestMetrics_RealPrometheusSeesCertManagersMetrics issues a certificate
// from acmetest, serves the Manager's collector the way a user would
// (their own registry, promhttp, a listener of their own), lets a real
// Prometheus scrape it, and asks Prometheus's HTTP API what cert-manager's
// alerts ask: is the certificate Ready, and when does it expire.
func TestMetrics_RealPrometheusSeesCertManagersMetrics(t *testing.T) {
	bin := promtest.Require(t)
	h := startACME(t, acmeSetup{})
	c := h.issue(h.acme.Issuer("default", "acme"), testrig.ACMECertificate("default", "web", "acme", "web.example.test"))
	leaf := secretLeaf(t, h, "default", c.Spec.SecretName)
	require.Equal(t, leaf.NotAfter.Unix(), c.Status.NotAfter.Unix())

	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(h.m.Metrics()))
	target := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer target.Close()
	p := promtest.Start(t, bin, target.Listener.Addr().String())
	ctx, cancel := context.WithTimeout(h.ctx, 45*time.Second)
	defer cancel()

	ready := p.Await(t, ctx, `certmanager_certificate_ready_status{name="web",namespace="default",condition="True"}`,
		func(s []promtest.Sample) bool { return len(s) == 1 && s[0].Value == 1 })
	assert.Equal(t, "acme", ready[0].Labels["issuer_name"])
	assert.Equal(t, "Issuer", ready[0].Labels["issuer_kind"])
	notReady, err := p.Query(ctx, `certmanager_certificate_ready_status{name="web",namespace="default",condition!="True"}`)
	require.NoError(t, err)
	require.Len(t, notReady, 2)
	for _, s := range notReady {
		assert.Zero(t, s.Value, s.Labels["condition"])
	}

	expiry := p.Await(t, ctx, `certmanager_certificate_expiration_timestamp_seconds{name="web",namespace="default"}`,
		func(s []promtest.Sample) bool { return len(s) == 1 })
	assert.Equal(t, float64(leaf.NotAfter.Unix()), expiry[0].Value, "the issued leaf's NotAfter")
	// How long is left, by the Manager's clock, as an expiry alert asks.
	left := p.Await(t, ctx, `certmanager_certificate_expiration_timestamp_seconds{name="web"}`+
		` - on(job, instance) group_left() certmanager_clock_time_seconds`,
		func(s []promtest.Sample) bool { return len(s) == 1 })
	assert.InDelta(t, time.Until(leaf.NotAfter).Seconds(), left[0].Value, 120)

	// Every ACME request of the issuance carries a named action.
	actions, err := p.Query(ctx, `sum by (action) (certmanager_http_acme_client_request_count)`)
	require.NoError(t, err)
	seen := map[string]float64{}
	for _, s := range actions {
		seen[s.Labels["action"]] = s.Value
	}
	// A key generated for this issuer is registered without a lookup
	// first, so get_registration is not among them.
	for _, a := range []string{"register_account", "authorize_order", "get_authorization",
		"accept_challenge", "create_order_cert"} {
		assert.Positive(t, seen[a], a)
	}
	assert.NotContains(t, seen, "unnamed_action", "every ACME call names its action")

	// promtool's lint passes on the exposition Prometheus scraped.
	res, err := http.Get(target.URL)
	require.NoError(t, err)
	exposition, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	require.NoError(t, err)
	out, err := promtest.CheckMetrics(bin, exposition)
	require.NoError(t, err, "promtool check metrics:\n%s", out)
}
