package certflow

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// Apply refuses a fallback issuer list naming an issuer twice with the
// Certificate's typed error, saying which item, and stores nothing.
func TestApply_RefusesAFallbackIssuerNamedTwice(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	m, err := New(Config{Store: st})
	require.NoError(t, err)
	c := testrig.Certificate("default", "web", "ca", "web.example.test")
	c.Spec.FallbackIssuerRefs = []meta.IssuerRef{{Name: "backup"}, {Name: "ca", Kind: meta.KindIssuer}}
	err = m.Apply(ctx, c)
	require.ErrorIs(t, err, ErrInvalid)
	require.ErrorIs(t, err, certificate.ErrInvalid)
	var ve certificate.ValidationErrors
	require.ErrorAs(t, err, &ve)
	require.Len(t, ve, 1)
	assert.Equal(t, "spec.fallbackIssuerRefs[1]", ve[0].Field)
	require.ErrorIs(t, st.Get(ctx, meta.RefOf(c), &certificate.Certificate{}), store.ErrNotFound)

	c.Spec.FallbackIssuerRefs = c.Spec.FallbackIssuerRefs[:1]
	require.NoError(t, m.Apply(ctx, c))
}

// The Status of a fallback issuer lists the Certificates that may use it.
func TestStatus_FallbackIssuerListsItsCertificates(t *testing.T) {
	ctx := context.Background()
	m, err := New(Config{Store: memory.New()})
	require.NoError(t, err)
	c := testrig.Certificate("default", "web", "ca", "web.example.test")
	c.Spec.FallbackIssuerRefs = []meta.IssuerRef{{Name: "backup"}}
	require.NoError(t, m.Apply(ctx, c))
	tree, err := m.Status(ctx, meta.Ref{Kind: meta.KindIssuer, Namespace: "default", Name: "backup"})
	require.NoError(t, err)
	var certs []string
	for _, ch := range tree.Children {
		if ch.Kind == meta.KindCertificate {
			certs = append(certs, ch.Name)
		}
	}
	assert.Equal(t, []string{"web"}, certs)
	assert.Contains(t, tree.String(), "Issuers: Issuer ca, Issuer backup")
}
