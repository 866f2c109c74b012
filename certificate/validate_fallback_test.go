package certificate

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

func TestValidateFallbackIssuerRefs(t *testing.T) {
	many := make([]meta.IssuerRef, MaxFallbackIssuers+1)
	for i := range many {
		many[i] = meta.IssuerRef{Name: "backup-" + string(rune('a'+i))}
	}
	tests := []struct {
		name    string
		refs    []meta.IssuerRef
		field   string // "" when valid
		problem string
	}{
		{name: "an Issuer and a ClusterIssuer", refs: []meta.IssuerRef{{Name: "backup"}, {Name: "other-ca", Kind: meta.KindClusterIssuer}}},
		{name: "same name, other kind: another issuer", refs: []meta.IssuerRef{{Name: "letsencrypt", Kind: meta.KindIssuer}}},
		{name: "the primary again", refs: []meta.IssuerRef{{Name: "letsencrypt", Kind: meta.KindClusterIssuer, Group: "cert-manager.io"}},
			field: "spec.fallbackIssuerRefs[0]", problem: "names the same issuer as spec.issuerRef"},
		{name: "a fallback twice (empty kind is Issuer)", refs: []meta.IssuerRef{{Name: "backup", Kind: meta.KindIssuer}, {Name: "backup"}},
			field: "spec.fallbackIssuerRefs[1]", problem: "names the same issuer as spec.fallbackIssuerRefs[0]"},
		{name: "no name", refs: []meta.IssuerRef{{Kind: meta.KindIssuer}}, field: "spec.fallbackIssuerRefs[0].name", problem: "is required"},
		{name: "unknown kind", refs: []meta.IssuerRef{{Name: "x", Kind: "Vault"}}, field: "spec.fallbackIssuerRefs[0].kind", problem: "must be Issuer or ClusterIssuer"},
		{name: "external group", refs: []meta.IssuerRef{{Name: "x", Group: "awspca.cert-manager.io"}}, field: "spec.fallbackIssuerRefs[0].group", problem: "external issuers"},
		{name: "too many", refs: many, field: "spec.fallbackIssuerRefs", problem: "at most 8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validationBaseCert()
			c.Spec.FallbackIssuerRefs = tt.refs
			err := Validate(c)
			if tt.field == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalid)
			var ve ValidationErrors
			require.ErrorAs(t, err, &ve)
			require.Len(t, ve, 1, "exactly one problem expected, got: %v", err)
			assert.Equal(t, tt.field, ve[0].Field)
			assert.Contains(t, ve[0].Problem, tt.problem)
		})
	}
}
