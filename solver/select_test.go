package solver_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/solver"
)

func httpS(sel *solver.Selector) solver.Config {
	return solver.Config{Selector: sel, HTTP01: &solver.HTTP01Config{}}
}

func dnsS(sel *solver.Selector) solver.Config {
	return solver.Config{Selector: sel, DNS01: &solver.DNS01Config{Webhook: &solver.WebhookConfig{SolverName: "x"}}}
}

func alpnS(sel *solver.Selector) solver.Config {
	return solver.Config{Selector: sel, TLSALPN01: &solver.TLSALPN01Config{}}
}

func names(n ...string) *solver.Selector { return &solver.Selector{DNSNames: n} }
func zones(z ...string) *solver.Selector { return &solver.Selector{DNSZones: z} }
func lbls(kv ...string) *solver.Selector {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return &solver.Selector{MatchLabels: m}
}

func TestSelect(t *testing.T) {
	certLabels := map[string]string{"team": "a", "env": "prod"}
	tests := []struct {
		name     string
		solvers  []solver.Config
		id       string
		wildcard bool
		labels   map[string]string
		want     int
		ok       bool
	}{
		{name: "no solvers", solvers: nil, id: "a.example.com", want: -1, ok: false},
		{name: "single fallback", solvers: []solver.Config{httpS(nil)}, id: "a.example.com", want: 0, ok: true},
		{name: "first of two fallbacks", solvers: []solver.Config{httpS(nil), dnsS(nil)}, id: "a.example.com", want: 0, ok: true},
		{name: "empty selector ties with fallback: earlier wins (empty first)", solvers: []solver.Config{httpS(&solver.Selector{}), dnsS(nil)}, id: "a.example.com", want: 0, ok: true},
		{name: "empty selector ties with fallback: earlier wins (fallback first)", solvers: []solver.Config{dnsS(nil), httpS(&solver.Selector{})}, id: "a.example.com", want: 0, ok: true},
		{name: "dnsName beats fallback listed first", solvers: []solver.Config{httpS(nil), dnsS(names("a.example.com"))}, id: "a.example.com", want: 1, ok: true},
		{name: "dnsName beats zone", solvers: []solver.Config{dnsS(zones("example.com")), httpS(names("a.example.com"))}, id: "a.example.com", want: 1, ok: true},
		{name: "dnsName beats labels", solvers: []solver.Config{dnsS(lbls("team", "a", "env", "prod")), httpS(names("a.example.com"))}, id: "a.example.com", labels: certLabels, want: 1, ok: true},
		{name: "zone beats labels", solvers: []solver.Config{dnsS(lbls("team", "a")), httpS(zones("example.com"))}, id: "a.example.com", labels: certLabels, want: 1, ok: true},
		{name: "zone beats fallback", solvers: []solver.Config{dnsS(nil), httpS(zones("example.com"))}, id: "a.example.com", want: 1, ok: true},
		{name: "labels beat fallback", solvers: []solver.Config{dnsS(nil), httpS(lbls("team", "a"))}, id: "a.example.com", labels: certLabels, want: 1, ok: true},
		{name: "longest zone wins", solvers: []solver.Config{httpS(zones("example.com")), dnsS(zones("sys.example.com"))}, id: "www.sys.example.com", want: 1, ok: true},
		{name: "longest zone wins within one selector", solvers: []solver.Config{httpS(zones("sys.example.com", "other.org")), dnsS(zones("example.com"))}, id: "www.sys.example.com", want: 0, ok: true},
		{name: "equal zones: more labels win", solvers: []solver.Config{httpS(zones("example.com")), dnsS(&solver.Selector{DNSZones: []string{"example.com"}, MatchLabels: map[string]string{"team": "a"}})}, id: "a.example.com", labels: certLabels, want: 1, ok: true},
		{name: "equal zones and labels: earlier wins", solvers: []solver.Config{httpS(zones("example.com")), dnsS(zones("example.com"))}, id: "a.example.com", want: 0, ok: true},
		{name: "both dnsNames: longer zone wins", solvers: []solver.Config{httpS(names("a.example.com")), dnsS(&solver.Selector{DNSNames: []string{"a.example.com"}, DNSZones: []string{"example.com"}})}, id: "a.example.com", want: 1, ok: true},
		{name: "both dnsNames: more labels win", solvers: []solver.Config{httpS(names("a.example.com")), dnsS(&solver.Selector{DNSNames: []string{"a.example.com"}, MatchLabels: map[string]string{"env": "prod"}})}, id: "a.example.com", labels: certLabels, want: 1, ok: true},
		{name: "both dnsNames equal: earlier wins", solvers: []solver.Config{httpS(names("a.example.com")), dnsS(names("x.org", "a.example.com"))}, id: "a.example.com", want: 0, ok: true},
		{name: "more labels win", solvers: []solver.Config{httpS(lbls("team", "a")), dnsS(lbls("team", "a", "env", "prod"))}, id: "a.example.com", labels: certLabels, want: 1, ok: true},
		{name: "equal labels: earlier wins", solvers: []solver.Config{httpS(lbls("team", "a")), dnsS(lbls("env", "prod"))}, id: "a.example.com", labels: certLabels, want: 0, ok: true},
		{name: "labels must all match", solvers: []solver.Config{httpS(lbls("team", "a", "env", "dev"))}, id: "a.example.com", labels: certLabels, want: -1, ok: false},
		{name: "label mismatch excluded even with dnsName", solvers: []solver.Config{httpS(&solver.Selector{DNSNames: []string{"a.example.com"}, MatchLabels: map[string]string{"team": "b"}}), dnsS(nil)}, id: "a.example.com", labels: certLabels, want: 1, ok: true},
		{name: "non-matching dnsNames excluded", solvers: []solver.Config{httpS(names("b.example.com"))}, id: "a.example.com", want: -1, ok: false},
		{name: "non-matching dnsZones excluded", solvers: []solver.Config{httpS(zones("example.org"))}, id: "a.example.com", want: -1, ok: false},
		{name: "zone is not a suffix match of a label", solvers: []solver.Config{httpS(zones("ample.com"))}, id: "a.example.com", want: -1, ok: false},
		{name: "zone equal to name matches", solvers: []solver.Config{httpS(zones("example.com"))}, id: "example.com", want: 0, ok: true},
		{name: "dnsNames and dnsZones both must match", solvers: []solver.Config{httpS(&solver.Selector{DNSNames: []string{"a.example.com"}, DNSZones: []string{"example.org"}})}, id: "a.example.com", want: -1, ok: false},
		{name: "names compare case-insensitively, trailing dot ignored", solvers: []solver.Config{httpS(names("A.Example.COM."))}, id: "a.example.com", want: 0, ok: true},
		{name: "wildcard skips HTTP-01 fallback", solvers: []solver.Config{httpS(nil), dnsS(nil)}, id: "example.com", wildcard: true, want: 1, ok: true},
		{name: "wildcard skips TLS-ALPN-01 with matching name", solvers: []solver.Config{alpnS(names("*.example.com")), dnsS(nil)}, id: "example.com", wildcard: true, want: 1, ok: true},
		{name: "wildcard with only HTTP-01: none", solvers: []solver.Config{httpS(nil)}, id: "example.com", wildcard: true, want: -1, ok: false},
		{name: "wildcard dnsName needs the star", solvers: []solver.Config{dnsS(names("example.com")), dnsS(names("*.example.com"))}, id: "example.com", wildcard: true, want: 1, ok: true},
		{name: "wildcard matches zone", solvers: []solver.Config{dnsS(nil), dnsS(zones("example.com"))}, id: "example.com", wildcard: true, want: 1, ok: true},
		{name: "IP skips DNS-01", solvers: []solver.Config{dnsS(nil), alpnS(nil)}, id: "192.0.2.1", want: 1, ok: true},
		{name: "IPv6 skips DNS-01", solvers: []solver.Config{dnsS(nil), httpS(nil)}, id: "2001:db8::1", want: 1, ok: true},
		{name: "IP with only DNS-01: none", solvers: []solver.Config{dnsS(nil)}, id: "192.0.2.1", want: -1, ok: false},
		{name: "config without type skipped", solvers: []solver.Config{{}, httpS(nil)}, id: "a.example.com", want: 1, ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := solver.Select(tt.solvers, tt.id, tt.wildcard, tt.labels)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestSelectOfferedSkipsTypesNotOffered(t *testing.T) {
	solvers := []solver.Config{httpS(names("a.example.com")), dnsS(nil)}
	got, ok := solver.SelectOffered(solvers, "a.example.com", false, nil, []solver.Type{solver.DNS01})
	assert.True(t, ok)
	assert.Equal(t, 1, got)

	_, ok = solver.SelectOffered(solvers, "a.example.com", false, nil, []solver.Type{solver.TLSALPN01})
	assert.False(t, ok)
}
