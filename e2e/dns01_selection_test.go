package e2e

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/internal/bindtest"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/solver/rfc2136"
	"github.com/certflow/certflow/store"
)

// TestDNS01_RFC2136_SolverSelectionThroughManager: with an HTTP-01 fallback
// and a DNS-01 solver selected by dnsZones, the wildcard is solved over
// DNS-01 and the name outside the zone over HTTP-01; an issuer with only
// HTTP-01 leaves a wildcard order pending with a reason naming it.
func TestDNS01_RFC2136_SolverSelectionThroughManager(t *testing.T) {
	bind := bindtest.Start(t, bindtest.Options{Zones: []bindtest.Zone{
		{Name: "example.test"},
		{Name: "other.test", Records: []string{"web IN A 127.0.0.1"}},
	}})
	rec := &recordingProvider{inner: &rfc2136.Provider{}}
	paths := &challengePaths{}
	h := startACME(t, acmeSetup{
		acmeOpts: []acmetest.Option{acmetest.WithResolver(bind.Addr)},
		config: func(c *certflow.Config) {
			c.DNS01Providers = map[string]solver.DNS01Provider{"rfc2136": rec}
			c.ACME.DNS01Check = bindCheck(bind, nil)
		},
		httpWrap: paths.wrap,
	})
	require.NoError(t, h.m.Apply(h.ctx, tsigSecret("default", bind.Secret)))

	zoned := rfc2136Solver(bind, bind.KeyName)
	zoned.Selector = &solver.Selector{DNSZones: []string{"example.test"}}
	mixed := h.acme.Issuer("default", "mixed", solver.Config{HTTP01: &solver.HTTP01Config{}}, zoned)
	h.issue(mixed, testrig.ACMECertificate("default", "wild", "mixed", "*.example.test", "web.other.test"))

	presents, _ := rec.calls()
	require.Len(t, presents, 1, "only the wildcard went to the DNS-01 solver")
	assert.Equal(t, "example.test", presents[0].Challenge.Identifier)
	assert.True(t, presents[0].Challenge.Wildcard)
	seen := paths.seen()
	require.NotEmpty(t, seen, "the CA fetched an HTTP-01 token")
	for _, p := range seen {
		assert.Contains(t, p, "web.other.test")
	}
	h.waitNoTXT(bind, "_acme-challenge.example.test.")

	httpOnly := h.acme.Issuer("default", "http-only")
	crt := testrig.ACMECertificate("default", "wild-http", "http-only", "*.example.test")
	require.NoError(t, h.m.Apply(h.ctx, httpOnly))
	require.NoError(t, h.m.Apply(h.ctx, crt))
	const why = `no solver matches identifier "*.example.test" (wildcards need a DNS-01 solver)`
	text := h.waitStatus(meta.RefOf(crt), why)
	t.Log(text)

	orders, err := store.ListOf[order.Order](context.Background(), h.store, store.ListOptions{Kind: meta.KindOrder, Namespace: "default"})
	require.NoError(t, err)
	var stuck *order.Order
	for _, o := range orders {
		if o.Spec.IssuerRef.Name == "http-only" {
			stuck = o
		}
	}
	require.NotNil(t, stuck, "the wildcard order exists")
	assert.Equal(t, why, stuck.Status.Reason)
	assert.Len(t, rec.presentsNow(), 1, "nothing more was presented over DNS-01")
}
