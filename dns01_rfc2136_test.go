package certflow

import (
	"context"
	"sync"

	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/internal/bindtest"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/solver/rfc2136"
)

// TestDNS01_RFC2136_ApexAndWildcardThroughBIND issues example.test and
// *.example.test with the RFC 2136 solver writing into a real BIND, which is
// also what the CA's validation authority and the Manager's self-check ask.
func TestDNS01_RFC2136_ApexAndWildcardThroughBIND(t *testing.T) {
	bind := bindtest.Start(t, bindtest.Options{})
	rec := &recordingProvider{inner: &rfc2136.Provider{}, served: func(ctx context.Context, name string) ([]string, error) {
		return servedTXT(ctx, bind, name)
	}}
	// Both Presents come before either self-check passes, so the CA
	// validates each value while the other is in the RRset too.
	queries := &queryLog{gate: make(chan struct{})}
	var open sync.Once
	rec.afterPresent = func(n int) {
		if n == 2 {
			open.Do(func() { close(queries.gate) })
		}
	}
	h := startACME(t, acmeSetup{
		acmeOpts: []acmetest.Option{acmetest.WithResolver(bind.Addr)},
		config: func(c *Config) {
			c.DNS01Providers = map[string]solver.DNS01Provider{"rfc2136": rec}
			c.ACME.DNS01Check = bindCheck(bind, queries.hook)
		},
	})
	require.NoError(t, h.m.Apply(h.ctx, tsigSecret("default", bind.Secret)))
	iss := h.acmeIssuer("default", "bind", rfc2136Solver(bind, bind.KeyName))
	h.issue(iss, acmeCertificate("default", "wild", "bind", "example.test", "*.example.test"))

	for _, sni := range []string{"example.test", "www.example.test"} {
		leaf := h.handshake(sni).PeerCertificates[0]
		assert.ElementsMatch(t, []string{"example.test", "*.example.test"}, leaf.DNSNames, sni)
	}

	const name = "_acme-challenge.example.test."
	h.waitNoTXT(bind, name)
	presents, cleanups := rec.calls()
	require.Len(t, presents, 2, "one Present per authorization")
	values := map[string]bool{}
	for _, p := range presents {
		require.NoError(t, p.Err)
		assert.Equal(t, name, p.Challenge.RecordName())
		values[p.Challenge.DNS01Value()] = p.Challenge.Wildcard
	}
	require.Len(t, values, 2, "apex and wildcard have distinct values")
	require.Len(t, cleanups, 2, "one CleanUp per challenge")
	for _, c := range cleanups {
		require.NoError(t, c.Err)
		assert.Contains(t, c.Served, c.Challenge.DNS01Value(), "BIND served the value until the challenge was final")
	}
	assert.ElementsMatch(t, keys(values), cleanups[0].Served, "both values coexisted in BIND while the first was validated")
	assert.Equal(t, []string{bind.Addr}, queries.askedTXT(), "the self-check asked BIND")

	for v := range values {
		p := presents[0]
		if p.Challenge.DNS01Value() != v {
			p = presents[1]
		}
		if at, ok := queries.foundAt(v); assert.True(t, ok, "the self-check saw %s", v) {
			t.Logf("Present → self-check passing against BIND: %v (wildcard=%v)", at.Sub(p.At), p.Challenge.Wildcard)
		}
	}
	tree, err := h.m.Status(h.ctx, meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: "wild"})
	require.NoError(t, err)
	assert.NotContains(t, tree.String(), bind.Secret)
}
