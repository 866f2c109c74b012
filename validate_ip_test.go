package certflow_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store/memory"
)

// Apply refuses a Certificate's IP address only when its stored ACME
// issuer has no solver that may validate it (DNS-01 never may).
func TestApply_IPAddressNeedsHTTPOrTLSALPNSolver(t *testing.T) {
	ctx := context.Background()
	m, err := certflow.New(certflow.Config{Store: memory.New()})
	require.NoError(t, err)
	dns := solver.Config{DNS01: &solver.DNS01Config{RFC2136: &solver.RFC2136Config{Nameserver: "127.0.0.1:53"}}}
	acme := func(solvers ...solver.Config) issuer.Spec {
		return issuer.Spec{ACME: &issuer.ACMEIssuer{Server: "https://ca.example.test/directory",
			PrivateKeySecretRef: meta.LocalRef{Name: "acct"}, Solvers: solvers}}
	}
	require.NoError(t, m.Apply(ctx, &issuer.ClusterIssuer{ObjectMeta: meta.ObjectMeta{Name: "dns-only"}, Spec: acme(dns)}))
	require.NoError(t, m.Apply(ctx, &issuer.Issuer{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "alpn"},
		Spec: acme(dns, solver.Config{TLSALPN01: &solver.TLSALPN01Config{}})}))
	require.NoError(t, m.Apply(ctx, testrig.CAIssuer("default", "ca", "ca-key")))
	require.NoError(t, m.Apply(ctx, &issuer.Issuer{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "v6"},
		Spec: acme(solver.Config{HTTP01: &solver.HTTP01Config{}, Selector: &solver.Selector{DNSNames: []string{"2001:db8::1"}}}, dns)}))

	tests := map[string]struct {
		ref  meta.IssuerRef
		ips  []string
		refs []string // fields refused
	}{
		"ClusterIssuer with DNS-01 only, two IPs": {meta.IssuerRef{Kind: meta.KindClusterIssuer, Name: "dns-only"},
			[]string{"192.0.2.1", "2001:db8::1"}, []string{"spec.ipAddresses[0]", "spec.ipAddresses[1]"}},
		"DNS-01 beside TLS-ALPN-01":           {meta.IssuerRef{Name: "alpn"}, []string{"192.0.2.1"}, nil},
		"CA issuer: no challenges":            {meta.IssuerRef{Name: "ca"}, []string{"192.0.2.1"}, nil},
		"selector names the canonical form":   {meta.IssuerRef{Name: "v6"}, []string{"2001:DB8:0:0::1"}, nil},
		"issuer not stored yet: order checks": {meta.IssuerRef{Name: "later"}, []string{"192.0.2.1"}, nil},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			crt := testrig.Certificate("default", "ip", "", "ip.example.test")
			crt.Spec.IssuerRef, crt.Spec.IPAddresses = tt.ref, tt.ips
			err := m.Apply(ctx, crt)
			if tt.refs == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, certflow.ErrInvalid)
			require.ErrorIs(t, err, certflow.ErrIPNeedsHTTPOrTLSALPN)
			for _, f := range tt.refs {
				assert.Contains(t, err.Error(), f)
			}
			assert.Contains(t, err.Error(), "ClusterIssuer/dns-only")
		})
	}
}
