package issuer

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/solver"
)

func goodACME() *ACMEIssuer {
	return &ACMEIssuer{
		Server:              "https://acme.example/dir",
		Email:               "ops@example.com",
		PrivateKeySecretRef: meta.LocalRef{Name: "acct"},
		Solvers:             []solver.Config{{HTTP01: &solver.HTTP01Config{}}},
	}
}

func TestValidate(t *testing.T) {
	withACME := func(f func(a *ACMEIssuer)) Spec {
		a := goodACME()
		f(a)
		return Spec{ACME: a}
	}
	tests := []struct {
		name   string
		spec   Spec
		fields []string // the Field of every expected problem, in order
	}{
		{"selfSigned ok", Spec{SelfSigned: &SelfSignedIssuer{}}, nil},
		{"ca ok", Spec{CA: &CAIssuer{SecretName: "ca"}}, nil},
		{"acme ok", Spec{ACME: goodACME()}, nil},
		{"none set", Spec{}, []string{"spec"}},
		{"two set", Spec{CA: &CAIssuer{SecretName: "ca"}, SelfSigned: &SelfSignedIssuer{}}, []string{"spec"}},
		{"ca without secret", Spec{CA: &CAIssuer{}}, []string{"spec.ca.secretName"}},
		{"server missing", withACME(func(a *ACMEIssuer) { a.Server = "" }), []string{"spec.acme.server"}},
		{"server http", withACME(func(a *ACMEIssuer) { a.Server = "http://acme.example/dir" }), []string{"spec.acme.server"}},
		{"server relative", withACME(func(a *ACMEIssuer) { a.Server = "/dir" }), []string{"spec.acme.server"}},
		{"server unparsable", withACME(func(a *ACMEIssuer) { a.Server = "https://a b:x/" }), []string{"spec.acme.server"}},
		{"no key secret", withACME(func(a *ACMEIssuer) { a.PrivateKeySecretRef.Name = "" }), []string{"spec.acme.privateKeySecretRef.name"}},
		{"bad email", withACME(func(a *ACMEIssuer) { a.Email = "not-an-email" }), []string{"spec.acme.email"}},
		{"email with name", withACME(func(a *ACMEIssuer) { a.Email = "Ops <ops@example.com>" }), []string{"spec.acme.email"}},
		{"eab incomplete", withACME(func(a *ACMEIssuer) { a.ExternalAccountBinding = &ExternalAccountBinding{} }),
			[]string{"spec.acme.externalAccountBinding.keyID", "spec.acme.externalAccountBinding.keySecretRef.name", "spec.acme.externalAccountBinding.keySecretRef.key"}},
		{"eab ok", withACME(func(a *ACMEIssuer) {
			a.ExternalAccountBinding = &ExternalAccountBinding{KeyID: "k", KeySecretRef: solver.SecretKeySelector{Name: "eab", Key: "secret"}}
		}), nil},
		{"key algorithm RSA", withACME(func(a *ACMEIssuer) { a.AccountKeyAlgorithm = "RSA" }), nil},
		{"key algorithm Ed25519", withACME(func(a *ACMEIssuer) { a.AccountKeyAlgorithm = "Ed25519" }), []string{"spec.acme.accountKeyAlgorithm"}},
		{"caBundle not PEM", withACME(func(a *ACMEIssuer) { a.CABundle = []byte("junk") }), []string{"spec.acme.caBundle"}},
		{"caBundle with skipTLSVerify", withACME(func(a *ACMEIssuer) { a.CABundle = []byte("junk"); a.SkipTLSVerify = true }),
			[]string{"spec.acme.caBundle", "spec.acme.skipTLSVerify", "spec.acme.caBundle"}},
		{"solver empty", withACME(func(a *ACMEIssuer) { a.Solvers = []solver.Config{{}} }), []string{"spec.acme.solvers[0]"}},
		{"solver two types", withACME(func(a *ACMEIssuer) {
			a.Solvers = []solver.Config{{HTTP01: &solver.HTTP01Config{}, TLSALPN01: &solver.TLSALPN01Config{}}}
		}), []string{"spec.acme.solvers[0]"}},
		{"dns01 no provider", withACME(func(a *ACMEIssuer) { a.Solvers = []solver.Config{{DNS01: &solver.DNS01Config{}}} }),
			[]string{"spec.acme.solvers[0].dns01"}},
		{"dns01 two providers", withACME(func(a *ACMEIssuer) {
			a.Solvers = []solver.Config{{DNS01: &solver.DNS01Config{
				RFC2136: &solver.RFC2136Config{Nameserver: "ns:53"}, Route53: &solver.Route53Config{}}}}
		}), []string{"spec.acme.solvers[0].dns01"}},
		{"rfc2136 without nameserver", withACME(func(a *ACMEIssuer) {
			a.Solvers = []solver.Config{{HTTP01: &solver.HTTP01Config{}}, {DNS01: &solver.DNS01Config{RFC2136: &solver.RFC2136Config{}}}}
		}), []string{"spec.acme.solvers[1].dns01.rfc2136.nameserver"}},
		{"webhook without name", withACME(func(a *ACMEIssuer) {
			a.Solvers = []solver.Config{{DNS01: &solver.DNS01Config{Webhook: &solver.WebhookConfig{}}}}
		}), []string{"spec.acme.solvers[0].dns01.webhook.solverName"}},
		{"bad cname strategy", withACME(func(a *ACMEIssuer) {
			a.Solvers = []solver.Config{{DNS01: &solver.DNS01Config{CNAMEStrategy: "Always", Route53: &solver.Route53Config{}}}}
		}), []string{"spec.acme.solvers[0].dns01.cnameStrategy"}},
		{"all problems listed", withACME(func(a *ACMEIssuer) { a.Server, a.PrivateKeySecretRef.Name, a.Email = "", "", "x" }),
			[]string{"spec.acme.server", "spec.acme.privateKeySecretRef.name", "spec.acme.email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(&tt.spec)
			if tt.fields == nil {
				require.NoError(t, err)
				return
			}
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			var got []string
			for _, p := range ve.Problems {
				got = append(got, p.Field)
			}
			assert.Equal(t, tt.fields, got, err.Error())
			assert.ErrorIs(t, err, ErrInvalidConfig)
			assert.ErrorIs(t, err, reconcile.ErrTerminal)
		})
	}
}

func TestValidationErrorMessageListsEveryProblem(t *testing.T) {
	err := Validate(&Spec{ACME: &ACMEIssuer{}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "spec.acme.server: required")
	assert.Contains(t, err.Error(), "spec.acme.privateKeySecretRef.name: required")
	assert.True(t, errors.Is(err, ErrInvalidConfig))
}
