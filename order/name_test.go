package order_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
)

func TestName(t *testing.T) {
	base := order.Spec{Request: []byte("csr"), IssuerRef: meta.IssuerRef{Name: "le"}, DNSNames: []string{"a.example.com"}}
	changed := base
	changed.DNSNames = []string{"b.example.com"}

	n := order.Name("req-1", "uid-1", base)
	assert.Regexp(t, regexp.MustCompile(`^req-1-[0-9a-f]{10}$`), n)
	assert.Equal(t, n, order.Name("req-1", "uid-1", base), "deterministic")
	assert.NotEqual(t, n, order.Name("req-1", "uid-1", changed), "a changed spec gets a new name")
	assert.NotEqual(t, n, order.Name("req-2", "uid-1", base))
	assert.NotEqual(t, n, order.Name("req-1", "uid-2", base), "a re-created request gets a new order")
}

// TestNameIsStable: an Order's name is how a retried request step finds
// the Order it created, so it must not change from one release to the
// next: names pinned from the encoding (json.Marshal of the spec after the
// UID and a NUL) that certflow has always used, for a spec with every
// field, one whose strings need escaping, and an empty one.
func TestNameIsStable(t *testing.T) {
	d := meta.Duration{Duration: 90 * 24 * time.Hour}
	full := order.Spec{Request: []byte("-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n"),
		IssuerRef: meta.IssuerRef{Name: "le", Kind: meta.KindClusterIssuer}, CommonName: "a.example.com",
		DNSNames: []string{"a.example.com", "*.b.example.com"}, IPAddresses: []string{"192.0.2.1", "2001:db8::1"},
		Duration: &d, Profile: "shortlived", Replaces: "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"}
	escaped := order.Spec{CommonName: "<a&b>\u2028\"q\"\\", DNSNames: []string{"é.example"}}
	for _, tc := range []struct {
		spec order.Spec
		want string
	}{
		{full, "req-1-" + pinnedHash(t, "uid-1", full)},
		{escaped, "req-1-" + pinnedHash(t, "uid-1", escaped)},
		{order.Spec{}, "req-1-" + pinnedHash(t, "uid-1", order.Spec{})},
	} {
		assert.Equal(t, tc.want, order.Name("req-1", "uid-1", tc.spec))
	}
	assert.Equal(t, "req-1-c457b168b9", order.Name("req-1", "uid-1", full), "pinned literally too")
}

// pinnedHash is the hash part of an Order name as certflow computed it
// before it hashed while encoding: SHA-256 of UID, NUL, json.Marshal(spec).
func pinnedHash(t *testing.T, uid string, spec order.Spec) string {
	t.Helper()
	b, err := json.Marshal(spec)
	require.NoError(t, err)
	sum := sha256.Sum256(append([]byte(uid+"\x00"), b...))
	return hex.EncodeToString(sum[:5])
}

func BenchmarkName(b *testing.B) {
	spec := order.Spec{Request: make([]byte, 600), IssuerRef: meta.IssuerRef{Name: "le"}, DNSNames: []string{"a.example.com"}}
	b.ReportAllocs()
	for b.Loop() {
		_ = order.Name("req-1", "0b7c2c1e-6f2d-4f7e-9a55-6a1f0f0e6c2b", spec)
	}
}
