package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/solver/libdnssolver"
	"github.com/certflow/certflow/solver/libdnssolver/libdnstest"
	"github.com/certflow/certflow/solver/route53"
	"github.com/certflow/certflow/solver/route53/route53test"
)

// issueApexAndWildcard issues example.test and *.example.test through iss
// and checks what every DNS-01 test of a provider checks: the certificate
// names, one Present and one CleanUp per challenge with distinct values,
// both values served to the CA at once (sink), none left afterwards.
func (h *harness) issueApexAndWildcard(iss meta.Object, rec *recordingProvider, sink *txtSink, left func() []string) {
	h.t.Helper()
	t := h.t
	rec.openAfter(2)
	require.NoError(t, h.m.Apply(h.ctx, iss))
	h.issue(nil, testrig.ACMECertificate(iss.GetMeta().Namespace, "wild", iss.GetMeta().Name, "example.test", "*.example.test"))

	leaf := h.handshake("www.example.test").PeerCertificates[0]
	assert.ElementsMatch(t, []string{"example.test", "*.example.test"}, leaf.DNSNames)

	const name = "_acme-challenge.example.test."
	h.awaitStore("the provider holds no TXT value", func() bool { return len(left()) == 0 })
	assert.Empty(t, h.acme.TXT(name), "the CA's DNS holds no value either")
	h.waitCleanups(rec, 2)
	presents, cleanups := rec.calls()
	require.Len(t, presents, 2)
	require.Len(t, cleanups, 2)
	values := map[string]bool{}
	for _, p := range presents {
		require.NoError(t, p.Err)
		values[p.Challenge.DNS01Value()] = true
	}
	require.Len(t, values, 2)
	assert.ElementsMatch(t, keys(values), sink.mostAt(name), "apex and wildcard values were served together")
}

// TestDNS01_Route53ThroughManager issues through the Route 53 solver against
// a fake Route 53 whose public zone is served by the CA's DNS.
func TestDNS01_Route53ThroughManager(t *testing.T) {
	r53 := route53test.NewServer(t, route53test.Zone{Name: "example.test"})
	rec := &recordingProvider{inner: &route53.Provider{
		BaseEndpoint:              r53.URL(),
		PollInterval:              10 * time.Millisecond,
		Timeout:                   10 * time.Second,
		RetryMaxAttempts:          1,
		DisableAmbientCredentials: true,
	}}
	h := startACME(t, acmeSetup{config: func(c *certflow.Config) {
		c.DNS01Providers = map[string]solver.DNS01Provider{"route53": rec}
	}})
	sink := &txtSink{next: h.acme}
	r53.PublishTo(sink)

	const keyID, secretKey = "AKIDCERTFLOWTEST", "certflow-test-secret-access-key"
	require.NoError(t, h.m.Apply(h.ctx, &secret.Secret{
		ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "aws"},
		Data:       map[string][]byte{"access-key-id": []byte(keyID), "secret-access-key": []byte(secretKey)},
	}))
	iss := h.acme.Issuer("default", "r53", solver.Config{DNS01: &solver.DNS01Config{Route53: &solver.Route53Config{
		Region:                   "us-east-1",
		AccessKeyIDSecretRef:     &solver.SecretKeySelector{Name: "aws", Key: "access-key-id"},
		SecretAccessKeySecretRef: &solver.SecretKeySelector{Name: "aws", Key: "secret-access-key"},
	}}})
	h.issueApexAndWildcard(iss, rec, sink, func() []string { return r53.Records("_acme-challenge.example.test") })

	assert.Equal(t, []string{keyID}, r53.AccessKeyIDs(), "the static keys from the Secret were used")
	assert.Positive(t, r53.Calls(route53test.OpGetChange), "the solver waited for INSYNC")
	tree, err := h.m.Status(h.ctx, meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: "wild"})
	require.NoError(t, err)
	assert.NotContains(t, tree.String(), secretKey)
}

// TestDNS01_LibDNSThroughManager issues through a libdns provider adapted by
// libdnssolver and registered under a webhook solverName.
func TestDNS01_LibDNSThroughManager(t *testing.T) {
	mem := libdnstest.New("example.test")
	adapter, err := libdnssolver.NewProvider(libdnssolver.Config{Provider: mem, Zone: "example.test."})
	require.NoError(t, err)
	rec := &recordingProvider{inner: adapter}
	h := startACME(t, acmeSetup{config: func(c *certflow.Config) {
		c.DNS01Providers = map[string]solver.DNS01Provider{"libdns-memory": rec}
	}})
	sink := &txtSink{next: h.acme}
	mem.PublishTo(sink)

	iss := h.acme.Issuer("default", "libdns", solver.Config{DNS01: &solver.DNS01Config{Webhook: &solver.WebhookConfig{
		GroupName: "acme.example.test", SolverName: "libdns-memory",
	}}})
	h.issueApexAndWildcard(iss, rec, sink, func() []string { return mem.TXT("_acme-challenge.example.test") })
	assert.Equal(t, 2, mem.Calls("AppendRecords"), "one append per challenge")
	assert.Equal(t, 2, mem.Calls("DeleteRecords"), "one delete per challenge")
}
