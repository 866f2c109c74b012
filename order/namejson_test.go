package order

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

// TestAppendSpecJSONIsMarshal: the hand-written encoding an Order's name
// is hashed from is json.Marshal's, byte for byte, for every spec it
// takes; a spec with a string encoding/json escapes is left to it.
func TestAppendSpecJSONIsMarshal(t *testing.T) {
	d := meta.Duration{Duration: 90*24*time.Hour + 90*time.Second}
	for name, spec := range map[string]Spec{
		"empty":       {},
		"empty CSR":   {Request: []byte{}},
		"short CSR":   {Request: []byte("ab")},
		"issuer only": {IssuerRef: meta.IssuerRef{Name: "le"}},
		"every field": {Request: make([]byte, 601), IssuerRef: meta.IssuerRef{Name: "le", Kind: meta.KindClusterIssuer, Group: "cert-manager.io"},
			CommonName: "a.example.com", DNSNames: []string{"a.example.com", "*.b.example.com"},
			IPAddresses: []string{"192.0.2.1", "2001:db8::1"}, Duration: &d, Profile: "shortlived", Replaces: "aYhb.AIdl"},
		"one IP":        {IPAddresses: []string{"192.0.2.1"}},
		"empty name in": {DNSNames: []string{""}},
	} {
		want, err := json.Marshal(spec)
		require.NoError(t, err)
		got, ok := appendSpecJSON([]byte("prefix"), &spec)
		require.True(t, ok, name)
		assert.Equal(t, "prefix"+string(want), string(got), name)
	}
	// Every string field is checked: one that is not would be written
	// unescaped, and the Order renamed.
	fields := map[string]func(*Spec, string){
		"issuerRef.name":  func(sp *Spec, v string) { sp.IssuerRef.Name = v },
		"issuerRef.kind":  func(sp *Spec, v string) { sp.IssuerRef.Kind = meta.Kind(v) },
		"issuerRef.group": func(sp *Spec, v string) { sp.IssuerRef.Group = v },
		"commonName":      func(sp *Spec, v string) { sp.CommonName = v },
		"dnsNames":        func(sp *Spec, v string) { sp.DNSNames = []string{"a.example", v} },
		"ipAddresses":     func(sp *Spec, v string) { sp.IPAddresses = []string{"192.0.2.1", v} },
		"profile":         func(sp *Spec, v string) { sp.Profile = v },
		"replaces":        func(sp *Spec, v string) { sp.Replaces = v },
	}
	for field, set := range fields {
		for _, s := range []string{`"`, `\`, "<", ">", "&", "\n", "\x7f", "é", "\u2028", "\xff"} {
			var spec Spec
			set(&spec, "a"+s+".example")
			got, ok := appendSpecJSON([]byte("prefix"), &spec)
			assert.False(t, ok, "%s: %q", field, s)
			assert.Equal(t, "prefix", string(got), "%s: %q: nothing appended", field, s)
		}
	}
}

// FuzzAppendSpecJSON: whatever the strings, the hand-written encoding is
// json.Marshal's or declines.
func FuzzAppendSpecJSON(f *testing.F) {
	f.Add([]byte("csr"), "le", "Issuer", "a.example.com", "b.example.com", "192.0.2.1", "shortlived", int64(time.Hour))
	f.Add([]byte(nil), "", "", "", "<&>", "\x00", "é", int64(-1))
	f.Fuzz(func(t *testing.T, csr []byte, issuer, kind, cn, dns, ip, profile string, dur int64) {
		spec := Spec{Request: csr, IssuerRef: meta.IssuerRef{Name: issuer, Kind: meta.Kind(kind)}, CommonName: cn,
			DNSNames: []string{dns, cn}, IPAddresses: []string{ip}, Profile: profile, Replaces: kind}
		if dur >= 0 {
			spec.Duration = &meta.Duration{Duration: time.Duration(dur)}
		}
		want, err := json.Marshal(spec)
		require.NoError(t, err)
		if got, ok := appendSpecJSON(nil, &spec); ok {
			require.Equal(t, string(want), string(got))
		}
	})
}

// TestNameAllocatesOnlyItsResult: naming an Order on each visit of a
// request costs one allocation, the name, not encoding/json's reflection
// and buffers (about 7 µs and 5 allocations a visit before).
func TestNameAllocatesOnlyItsResult(t *testing.T) {
	spec := Spec{Request: make([]byte, 900), IssuerRef: meta.IssuerRef{Name: "le"}, DNSNames: []string{"a.example.com"}}
	allocs := testing.AllocsPerRun(100, func() { _ = Name("req-1", "0b7c2c1e-6f2d-4f7e-9a55-6a1f0f0e6c2b", spec) })
	assert.LessOrEqual(t, allocs, 1.0)
}
