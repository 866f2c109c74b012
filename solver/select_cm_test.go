package solver_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/solver"
)

// Ported from cert-manager v1.21.1, pkg/util/solverpicker/solverpicker_test.go
// (TestPick): every row. Solvers are told apart by index; cert-manager's
// Cloudflare/ingress details become DNS-01/HTTP-01 solvers; an
// authorization's offered challenge types become SelectOffered's offered;
// the Order's labels are the labels. Also the rows of
// pkg/controller/acmeorders/selectors/dns_zones_test.go (TestDNSZones).
func TestSelect_CertManagerPick(t *testing.T) {
	http := []solver.Type{solver.HTTP01}
	dns := []solver.Type{solver.DNS01}
	emptyHTTP := httpS(nil)
	emptyDNS := dnsS(nil)
	nonMatching := httpS(lbls("label", "does-not-exist", "does-not", "match"))
	exampleComName := httpS(names("example.com"))
	labelExists := map[string]string{"label": "exists"}
	tests := []struct {
		name     string
		solvers  []solver.Config
		id       string
		wildcard bool
		labels   map[string]string
		offered  []solver.Type
		want     int // -1: none
	}{
		{"should use configured default solver when no others are present", []solver.Config{emptyHTTP}, "example.com", false, nil, http, 0},
		{"should use configured default solver when no others are present but selector is non-nil", []solver.Config{httpS(&solver.Selector{})}, "example.com", false, nil, http, 0},
		{"should use configured default solver when others do not match", []solver.Config{emptyHTTP, nonMatching}, "example.com", false, nil, http, 0},
		{"should use DNS01 solver over HTTP01 if challenge is of type DNS01", []solver.Config{emptyHTTP, emptyDNS}, "example.com", false, nil, dns, 1},
		{"should return nil if none match", []solver.Config{nonMatching}, "example.com", false, nil, http, -1},
		{"uses correct solver when selector explicitly names dnsName", []solver.Config{emptyHTTP, exampleComName}, "example.com", false, nil, http, 1},
		{"uses default solver if dnsName does not match", []solver.Config{emptyHTTP, exampleComName}, "notexample.com", false, nil, http, 0},
		{"if two solvers specify the same dnsName, the one with the most labels should be chosen",
			[]solver.Config{exampleComName, httpS(&solver.Selector{DNSNames: []string{"example.com"}, MatchLabels: labelExists})},
			"example.com", false, labelExists, http, 1},
		{"if one solver matches with dnsNames, and the other solver matches with labels, the dnsName solver should be chosen",
			[]solver.Config{exampleComName, httpS(lbls("label", "exists"))}, "example.com", false, labelExists, http, 0},
		{"if one solver matches with dnsNames, and the other solver matches with labels, the dnsName solver should be chosen (solvers listed in reverse order)",
			[]solver.Config{httpS(lbls("label", "exists")), exampleComName}, "example.com", false, labelExists, http, 1},
		{"if one solver matches with dnsNames, and the other solver matches with 2 labels, the dnsName solver should be chosen",
			[]solver.Config{exampleComName, httpS(lbls("label", "exists", "another", "label"))}, "example.com", false,
			map[string]string{"label": "exists", "another": "label"}, http, 0},
		{"should choose the solver with the most labels matching if multiple match",
			[]solver.Config{httpS(lbls("label", "exists")), httpS(lbls("label", "exists", "another", "matches"))}, "example.com", false,
			map[string]string{"label": "exists", "another": "matches"}, http, 1},
		{"should match wildcard dnsName solver if authorization has Wildcard=true",
			[]solver.Config{emptyDNS, dnsS(names("*.example.com"))}, "example.com", true, nil, dns, 1},
		{"dnsName selectors should take precedence over dnsZone selectors", []solver.Config{exampleComName, httpS(zones("com"))}, "example.com", false, nil, http, 0},
		{"dnsName selectors should take precedence over dnsZone selectors (reversed order)", []solver.Config{dnsS(zones("com")), exampleComName}, "example.com", false, nil, http, 1},
		{"should allow matching with dnsZones", []solver.Config{emptyDNS, dnsS(zones("example.com"))}, "www.example.com", true, nil, dns, 1},
		{"most specific dnsZone should be selected if multiple match", []solver.Config{dnsS(zones("example.com")), dnsS(zones("prod.example.com"))},
			"www.prod.example.com", true, nil, dns, 1},
		{"most specific dnsZone should be selected if multiple match (reversed)", []solver.Config{dnsS(zones("prod.example.com")), dnsS(zones("example.com"))},
			"www.prod.example.com", true, nil, dns, 0},
		{"if two solvers specify the same dnsZone, the one with the most labels should be chosen",
			[]solver.Config{httpS(zones("example.com")), httpS(&solver.Selector{DNSZones: []string{"example.com"}, MatchLabels: labelExists})},
			"www.example.com", false, labelExists, http, 1},
		{"if both solvers match dnsNames, and one also matches dnsZones, choose the one that matches dnsZones",
			[]solver.Config{httpS(names("www.example.com")), httpS(&solver.Selector{DNSZones: []string{"example.com"}, DNSNames: []string{"www.example.com"}})},
			"www.example.com", false, nil, http, 1},
		{"if both solvers match dnsNames, and one also matches dnsZones, choose the one that matches dnsZones (reversed)",
			[]solver.Config{httpS(&solver.Selector{DNSZones: []string{"example.com"}, DNSNames: []string{"www.example.com"}}), httpS(names("www.example.com"))},
			"www.example.com", false, nil, http, 0},
		{"uses correct solver when selector explicitly names dnsName (reversed)", []solver.Config{exampleComName, emptyHTTP}, "example.com", false, nil, http, 0},

		// TestDNSZones, each row as a single solver behind a fallback.
		{"TestDNSZones: matching a domain with an empty selector", []solver.Config{dnsS(&solver.Selector{})}, "www.example.com", false, nil, dns, 0},
		{"TestDNSZones: matching a domain in a zone", []solver.Config{emptyDNS, dnsS(zones("example.com"))}, "www.example.com", false, nil, dns, 1},
		{"TestDNSZones: matching a wildcard domain in a zone", []solver.Config{emptyDNS, dnsS(zones("example.com"))}, "example.com", true, nil, dns, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := solver.SelectOffered(tt.solvers, tt.id, tt.wildcard, tt.labels, tt.offered)
			assert.Equal(t, tt.want >= 0, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}
