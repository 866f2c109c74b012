package memory

import (
	"testing"
	"unique"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/meta"
)

// An update that changes neither labels nor owners (a status write, most
// updates) is recognised as such, so the index is left as it is without
// hashing its keys again; one that changes either is not.
func TestSameIndexed(t *testing.T) {
	owner := meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "ns", Name: "web-1"}
	base := func() *certificate.Certificate {
		return &certificate.Certificate{
			ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "web", UID: "u", ResourceVersion: "1",
				Labels:      map[string]string{"certflow.io/secret-name": "web-tls", "app": "web"},
				Annotations: map[string]string{"a": "1"}, OwnerRefs: []meta.Ref{owner}},
			Spec: certificate.Spec{SecretName: "web-tls"},
		}
	}
	entryOf := func(c *certificate.Certificate) *entry {
		t.Helper()
		ref := meta.RefOf(c)
		k, err := keepAhead(ref, c, nil, nil)
		require.NoError(t, err)
		require.NotNil(t, k.codec, "kept in a slab")
		defer k.ahead.release()
		e, err := newEntry(ref, c, k, unique.Handle[entryScope]{})
		require.NoError(t, err)
		return e
	}
	old := entryOf(base())
	for _, tc := range []struct {
		name   string
		change func(*certificate.Certificate)
		same   bool
	}{
		{"nothing", func(*certificate.Certificate) {}, true},
		{"status and version", func(c *certificate.Certificate) {
			c.ObjectMeta.ResourceVersion = "2"
			c.Status.NextPrivateKeySecretName = "web-next"
		}, true},
		{"an annotation", func(c *certificate.Certificate) { c.ObjectMeta.Annotations["a"] = "2" }, true},
		{"a label's value", func(c *certificate.Certificate) { c.ObjectMeta.Labels["app"] = "api" }, false},
		{"a label added", func(c *certificate.Certificate) { c.ObjectMeta.Labels["tier"] = "x" }, false},
		{"labels dropped", func(c *certificate.Certificate) { c.ObjectMeta.Labels = nil }, false},
		{"an owner's name", func(c *certificate.Certificate) { c.ObjectMeta.OwnerRefs[0].Name = "web-2" }, false},
		{"an owner's kind", func(c *certificate.Certificate) { c.ObjectMeta.OwnerRefs[0].Kind = meta.KindOrder }, false},
		{"an owner added", func(c *certificate.Certificate) { c.ObjectMeta.OwnerRefs = append(c.ObjectMeta.OwnerRefs, owner) }, false},
		{"owners dropped", func(c *certificate.Certificate) { c.ObjectMeta.OwnerRefs = nil }, false},
	} {
		c := base()
		tc.change(c)
		require.Equal(t, tc.same, sameIndexed(old, entryOf(c)), tc.name)
	}
	empty := func(c *certificate.Certificate) *certificate.Certificate {
		c.ObjectMeta.Labels, c.ObjectMeta.OwnerRefs = map[string]string{}, nil
		return c
	}
	none := func(c *certificate.Certificate) *certificate.Certificate {
		c.ObjectMeta.Labels, c.ObjectMeta.OwnerRefs = nil, nil
		return c
	}
	require.True(t, sameIndexed(entryOf(empty(base())), entryOf(none(base()))), "no labels either way")
}
