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
	"github.com/certflow/certflow/issuer"
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
	queries := gatedQueries(rec, 2)
	h := startACME(t, acmeSetup{
		acmeOpts: []acmetest.Option{acmetest.WithResolver(bind.Addr)},
		config: func(c *certflow.Config) {
			c.DNS01Providers = map[string]solver.DNS01Provider{"rfc2136": rec}
			c.ACME.DNS01Check = bindCheck(bind, queries.hook)
		},
	})
	require.NoError(t, h.m.Apply(h.ctx, tsigSecret("default", bind.Secret)))
	iss := h.acme.Issuer("default", "bind", rfc2136Solver(bind, bind.KeyName))
	h.issue(iss, testrig.ACMECertificate("default", "wild", "bind", "example.test", "*.example.test"))

	for _, sni := range []string{"example.test", "www.example.test"} {
		leaf := h.handshake(sni).PeerCertificates[0]
		assert.ElementsMatch(t, []string{"example.test", "*.example.test"}, leaf.DNSNames, sni)
	}

	const name = "_acme-challenge.example.test."
	h.waitNoTXT(bind, name)
	h.waitCleanups(rec, 2)
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

// TestDNS01_RFC2136_CNAMEFollowWritesAtTarget: _acme-challenge.alias.example.test
// is a CNAME into delegated.test; with cnameStrategy Follow the record is
// written at the target, the self-check follows the CNAME, and the CA
// (through a CNAME-chasing resolver in front of BIND) validates it.
func TestDNS01_RFC2136_CNAMEFollowWritesAtTarget(t *testing.T) {
	bind := bindtest.Start(t, bindtest.Options{Zones: []bindtest.Zone{
		{Name: "example.test", Records: []string{"_acme-challenge.alias IN CNAME alias.delegated.test."}},
		{Name: "delegated.test"},
	}})
	rec := &recordingProvider{inner: &rfc2136.Provider{}, served: func(ctx context.Context, name string) ([]string, error) {
		return servedTXT(ctx, bind, name)
	}}
	queries := &queryLog{}
	h := startACME(t, acmeSetup{
		acmeOpts: []acmetest.Option{acmetest.WithResolver(startChasingResolver(t, bind.Addr))},
		config: func(c *certflow.Config) {
			c.DNS01Providers = map[string]solver.DNS01Provider{"rfc2136": rec}
			c.ACME.DNS01Check = bindCheck(bind, queries.hook)
		},
	})
	require.NoError(t, h.m.Apply(h.ctx, tsigSecret("default", bind.Secret)))
	follow := rfc2136Solver(bind, bind.KeyName)
	follow.DNS01.CNAMEStrategy = "Follow"
	h.issue(h.acme.Issuer("default", "bind", follow), testrig.ACMECertificate("default", "alias", "bind", "alias.example.test"))

	leaf := h.handshake("alias.example.test").PeerCertificates[0]
	assert.Equal(t, []string{"alias.example.test"}, leaf.DNSNames)

	const target = "alias.delegated.test."
	h.waitNoTXT(bind, target)
	h.waitCleanups(rec, 1)
	presents, cleanups := rec.calls()
	require.Len(t, presents, 1)
	require.NoError(t, presents[0].Err)
	assert.Equal(t, "_acme-challenge.alias.example.test.", presents[0].Challenge.DNS01Name())
	assert.Equal(t, target, presents[0].Challenge.RecordName(), "Present wrote at the CNAME target")
	require.Len(t, cleanups, 1)
	assert.Equal(t, target, cleanups[0].Challenge.RecordName(), "CleanUp removed it there")
	assert.Equal(t, []string{presents[0].Challenge.DNS01Value()}, cleanups[0].Served, "BIND served it at the target during validation")
	_, found := queries.foundAt(presents[0].Challenge.DNS01Value())
	assert.True(t, found, "the self-check followed the CNAME and found the value")
	assert.Empty(t, bind.TXT(t, "_acme-challenge.alias.example.test."), "nothing was written at the CNAME's owner")
}

// TestDNS01_RFC2136_ClusterIssuerReadsTSIGFromClusterNamespace: a
// ClusterIssuer's TSIG secret is read from Config.ClusterResourceNamespace,
// not from the certificate's namespace.
func TestDNS01_RFC2136_ClusterIssuerReadsTSIGFromClusterNamespace(t *testing.T) {
	bind := bindtest.Start(t, bindtest.Options{})
	rec := &recordingProvider{inner: &rfc2136.Provider{}}
	h := startACME(t, acmeSetup{
		acmeOpts: []acmetest.Option{acmetest.WithResolver(bind.Addr)},
		config: func(c *certflow.Config) {
			c.DNS01Providers = map[string]solver.DNS01Provider{"rfc2136": rec}
			c.ACME.DNS01Check = bindCheck(bind, nil)
			c.ClusterResourceNamespace = "dns-system"
		},
	})
	require.NoError(t, h.m.Apply(h.ctx, tsigSecret("dns-system", bind.Secret)))
	require.NoError(t, h.m.Apply(h.ctx, tsigSecret("team", randomTSIGSecret(t))), "a decoy the ClusterIssuer must not read")
	ns := h.acme.Issuer("", "bind", rfc2136Solver(bind, bind.KeyName))
	ci := &issuer.ClusterIssuer{ObjectMeta: meta.ObjectMeta{Name: "bind"}, Spec: ns.Spec}
	crt := testrig.ACMECertificate("team", "web", "bind", "team.example.test")
	crt.Spec.IssuerRef.Kind = meta.KindClusterIssuer
	require.NoError(t, h.m.Apply(h.ctx, ci))
	h.issue(nil, crt)

	leaf := h.handshake("team.example.test").PeerCertificates[0]
	assert.Equal(t, []string{"team.example.test"}, leaf.DNSNames)
	presents := rec.presentsNow()
	require.Len(t, presents, 1)
	assert.NoError(t, presents[0].Err)
}
