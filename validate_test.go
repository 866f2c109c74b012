package certflow

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// stubProvider is a DNS-01 provider that is registered and never used.
type stubProvider struct{}

func (stubProvider) NewSolver(context.Context, solver.DNS01Config, string, solver.Secrets) (solver.Solver, error) {
	return nil, errors.New("not used")
}

func acmeIssuer(solvers ...solver.Config) *issuer.Issuer {
	return &issuer.Issuer{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "acme"},
		Spec: issuer.Spec{ACME: &issuer.ACMEIssuer{Server: "https://ca.example.test/dir",
			PrivateKeySecretRef: meta.LocalRef{Name: "acme-account"}, Solvers: solvers}}}
}

func webhook(name string) solver.Config {
	return solver.Config{DNS01: &solver.DNS01Config{Webhook: &solver.WebhookConfig{SolverName: name}}}
}

// Apply refuses what cannot work, with the kind's own typed error, and
// stores nothing.
func TestApply_RefusesInvalidObjectsWithTheirTypedErrors(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	m, err := New(Config{Store: st, DNS01Providers: map[string]solver.DNS01Provider{"cloudflare": stubProvider{}}})
	require.NoError(t, err)

	noNames := testrig.Certificate("default", "web", "ca")
	err = m.Apply(ctx, noNames)
	require.ErrorIs(t, err, ErrInvalid)
	require.ErrorIs(t, err, certificate.ErrInvalid)
	var ie *InvalidError
	require.True(t, errors.As(err, &ie))
	assert.Equal(t, meta.RefOf(noNames), ie.Object)
	var ce certificate.ValidationErrors
	require.True(t, errors.As(err, &ce))
	assert.NotEmpty(t, ce)

	noCA := &issuer.Issuer{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "ca"}, Spec: issuer.Spec{CA: &issuer.CAIssuer{}}}
	err = m.Apply(ctx, noCA)
	var isErr *issuer.ValidationError
	require.True(t, errors.As(err, &isErr), "%v", err)
	assert.Equal(t, "spec.ca.secretName", isErr.Problems[0].Field)

	err = m.Apply(ctx, &request.CertificateRequest{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "by-hand"}})
	var re *request.ValidationError
	require.True(t, errors.As(err, &re), "%v", err)

	res, err := st.List(ctx, store.ListOptions{})
	require.NoError(t, err)
	assert.Empty(t, res.Items, "nothing invalid was stored")
}

// A solver naming a DNS-01 provider the Manager lacks is refused at Apply,
// with the providers it has; a tool writing for another Manager can let it
// through.
func TestApply_RefusesAnUnregisteredDNS01Provider(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	m, err := New(Config{Store: st, DNS01Providers: map[string]solver.DNS01Provider{"cloudflare": stubProvider{}}})
	require.NoError(t, err)

	require.NoError(t, m.Apply(ctx, acmeIssuer(webhook("cloudflare"), solver.Config{HTTP01: &solver.HTTP01Config{}})))
	err = m.Apply(ctx, acmeIssuer(solver.Config{HTTP01: &solver.HTTP01Config{}}, webhook("gandi")))
	require.ErrorIs(t, err, ErrInvalid)
	require.ErrorIs(t, err, ErrNoDNS01Provider)
	var pe *UnknownDNS01ProviderError
	require.True(t, errors.As(err, &pe), "%v", err)
	assert.Equal(t, "spec.acme.solvers[1].dns01", pe.Field)
	assert.Equal(t, "gandi", pe.Provider)
	assert.Equal(t, []string{"cloudflare", "rfc2136"}, pe.Registered)
	assert.Contains(t, err.Error(), `DNS-01 provider "gandi" is not registered with this Manager (registered: cloudflare, rfc2136)`)

	stored := &issuer.Issuer{}
	require.NoError(t, st.Get(ctx, meta.Ref{Kind: meta.KindIssuer, Namespace: "default", Name: "acme"}, stored))
	assert.Equal(t, "cloudflare", stored.Spec.ACME.Solvers[0].DNS01.Provider(), "the refused spec did not replace the stored one")

	require.NoError(t, m.Apply(ctx, acmeIssuer(webhook("gandi")), AnyDNS01Provider()))
}

func TestNew_RefusesANamelessOrNilDNS01Provider(t *testing.T) {
	for _, providers := range []map[string]solver.DNS01Provider{{"": stubProvider{}}, {"gandi": nil}} {
		_, err := New(Config{Store: memory.New(), DNS01Providers: providers})
		assert.ErrorIs(t, err, ErrInvalidConfig)
	}
}
