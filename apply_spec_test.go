package certflow

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
)

// foreignSecret is a Secret of another Go type, encoded as a Secret is.
type foreignSecret struct{ secret.Secret }

// TestSpecChanged: only what is encoded outside metadata, status,
// apiVersion and kind changes a spec, and encodings decide (a nil and an
// empty list omitted alike are no change). Each case also agrees with the
// comparison of whole encodings that specChanged shortcuts.
func TestSpecChanged(t *testing.T) {
	cert := func(mut func(c *certificate.Certificate)) meta.Object {
		c := testrig.Certificate("ns", "web", "ca", "web.example.test")
		c.Default()
		if mut != nil {
			mut(c)
		}
		return c
	}
	sec := func(mut func(s *secret.Secret)) *secret.Secret {
		s := &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "s"}, Type: secret.TypeOpaque, Data: map[string][]byte{"k": []byte("v")}}
		if mut != nil {
			mut(s)
		}
		return s
	}
	rev := 3
	for _, tc := range []struct {
		name    string
		a, b    meta.Object
		changed bool
	}{
		{"same", cert(nil), cert(nil), false},
		{"metadata only", cert(nil), cert(func(c *certificate.Certificate) {
			c.ObjectMeta.Labels["x"] = "y"
			c.ObjectMeta.ResourceVersion, c.ObjectMeta.Generation = "7", 4
		}), false},
		{"status only", cert(nil), cert(func(c *certificate.Certificate) {
			c.Status.Revision = &rev
			c.Status.Conditions.Set(meta.Condition{Type: meta.ConditionReady, Status: meta.ConditionTrue})
		}), false},
		{"apiVersion and kind", cert(nil), cert(func(c *certificate.Certificate) {
			c.TypeMeta = meta.TypeMeta{APIVersion: "cert-manager.io/v1", Kind: "Certificate"}
		}), false},
		{"nil and empty list", cert(nil), cert(func(c *certificate.Certificate) { c.Spec.IPAddresses = []string{} }), false},
		{"a name added", cert(nil), cert(func(c *certificate.Certificate) {
			c.Spec.DNSNames = append(c.Spec.DNSNames, "www.example.test")
		}), true},
		{"a duration", cert(nil), cert(func(c *certificate.Certificate) { c.Spec.Duration = &meta.Duration{Duration: time.Hour} }), true},
		{"a pointer to the same value", cert(nil), cert(func(c *certificate.Certificate) {
			c.Spec.Duration = &meta.Duration{Duration: c.Spec.Duration.Duration}
		}), false},
		{"secret same", sec(nil), sec(nil), false},
		{"secret data", sec(nil), sec(func(s *secret.Secret) { s.Data["k"] = []byte("w") }), true},
		{"secret type", sec(nil), sec(func(s *secret.Secret) { s.Type = secret.TypeTLS }), true},
		{"secret nil and empty data", sec(func(s *secret.Secret) { s.Data = nil }), sec(func(s *secret.Secret) { s.Data = map[string][]byte{} }), false},
		{"another type, same encoding", sec(nil), &foreignSecret{*sec(func(s *secret.Secret) { s.ObjectMeta.Labels = map[string]string{"a": "b"} })}, false},
		{"another type, other data", sec(nil), &foreignSecret{*sec(func(s *secret.Secret) { s.Data["k"] = nil })}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := specChanged(tc.a, tc.b)
			require.NoError(t, err)
			assert.Equal(t, tc.changed, got)
			whole, err := specChangedJSON(tc.a, tc.b)
			require.NoError(t, err)
			assert.Equal(t, whole, got, "the comparison of whole encodings disagrees")
		})
	}
}
