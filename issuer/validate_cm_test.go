package issuer

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
)

// cmValidACME is cert-manager's validACMEIssuer with a server and e-mail
// certflow accepts: cert-manager does not check them ("valid-server",
// "valid-email"); certflow requires an absolute https URL and a bare e-mail
// address (deliberate deviation).
func cmValidACME() *ACMEIssuer {
	return &ACMEIssuer{Server: "https://acme.example/dir", Email: "valid@example.com",
		PrivateKeySecretRef: meta.LocalRef{Name: "valid", Key: "validkey"}}
}

// Ported from cert-manager v1.21.1,
// internal/apis/certmanager/validation/issuer_test.go, TestValidateIssuerSpec
// and TestValidateACMEIssuerConfig (the DNS-01 rows of
// TestValidateACMEIssuerDNS01Config are in solver.TestValidateDNS01). The
// expected result is the list of offending fields. Rows not ported: vault
// and venafi issuers, issuingCertificateURLs, waitInsteadOfSelfCheck, the
// http01 ingress/gateway/pod-template rows (Kubernetes-only; certflow
// accepts and ignores those settings), and warnings.
func TestValidate_CertManagerTables(t *testing.T) {
	root := newTestCA(t, time.Now().Add(time.Hour)).root
	caBundle := pki.EncodeCerts(root)
	acme := func(f func(a *ACMEIssuer)) Spec {
		a := cmValidACME()
		f(a)
		return Spec{ACME: a}
	}
	validSecretKeyRef := solver.SecretKeySelector{Name: "valid", Key: "validkey"}
	cloudDNSLike := solver.Config{DNS01: &solver.DNS01Config{Route53: &solver.Route53Config{}}}
	tests := []struct {
		name   string
		spec   Spec
		fields []string
	}{
		// TestValidateIssuerSpec
		{"valid ca issuer", Spec{CA: &CAIssuer{SecretName: "valid"}}, nil},
		{"ca issuer without secret name specified", Spec{CA: &CAIssuer{}}, []string{"spec.ca.secretName"}},
		{"valid self-signed issuer", Spec{SelfSigned: &SelfSignedIssuer{}}, nil},
		{"valid acme issuer", Spec{ACME: cmValidACME()}, nil},
		{"missing issuer config", Spec{}, []string{"spec"}},
		// cert-manager reports this at spec.selfSigned; certflow at spec.
		{"multiple issuers configured", Spec{SelfSigned: &SelfSignedIssuer{}, CA: &CAIssuer{SecretName: "valid"}}, []string{"spec"}},
		{"valid ocsp url", Spec{CA: &CAIssuer{SecretName: "valid", OCSPServers: []string{"http://ocsp.int-x3.letsencrypt.org"}}}, nil},
		{"invalid ocsp url", Spec{CA: &CAIssuer{SecretName: "valid", OCSPServers: []string{""}}}, []string{"spec.ca.ocspServers[0]"}},

		// TestValidateACMEIssuerConfig
		{"acme issuer with missing fields", Spec{ACME: &ACMEIssuer{}}, []string{"spec.acme.server", "spec.acme.privateKeySecretRef.name"}},
		{"acme issuer with an invalid CA bundle", acme(func(a *ACMEIssuer) {
			a.CABundle = []byte("abc123")
			a.Solvers = []solver.Config{cloudDNSLike}
		}), []string{"spec.acme.caBundle"}},
		{"acme issuer with both a CA bundle and SkipTLSVerify", acme(func(a *ACMEIssuer) {
			a.CABundle, a.SkipTLSVerify = caBundle, true
			a.Solvers = []solver.Config{cloudDNSLike}
		}), []string{"spec.acme.caBundle", "spec.acme.skipTLSVerify"}},
		{"acme solver without any config", acme(func(a *ACMEIssuer) { a.Solvers = []solver.Config{{}} }), []string{"spec.acme.solvers[0]"}},
		{"acme solver with valid dns01 config", acme(func(a *ACMEIssuer) { a.Solvers = []solver.Config{cloudDNSLike} }), nil},
		{"acme solver with external account binding missing required fields", acme(func(a *ACMEIssuer) {
			a.ExternalAccountBinding = &ExternalAccountBinding{}
			a.Solvers = []solver.Config{cloudDNSLike}
		}), []string{"spec.acme.externalAccountBinding.keyID", "spec.acme.externalAccountBinding.keySecretRef.name", "spec.acme.externalAccountBinding.keySecretRef.key"}},
		{"acme solver with a valid external account binding and keyAlgorithm not set", acme(func(a *ACMEIssuer) {
			a.ExternalAccountBinding = &ExternalAccountBinding{KeyID: "test", KeySecretRef: validSecretKeyRef}
		}), nil},
		{"acme solver with a valid external account binding and keyAlgorithm set", acme(func(a *ACMEIssuer) {
			a.ExternalAccountBinding = &ExternalAccountBinding{KeyID: "test", KeySecretRef: validSecretKeyRef, KeyAlgorithm: "HS384"}
		}), nil},
		// Deviation: cert-manager requires ingress or gatewayHTTPRoute
		// ("no HTTP01 solver type configured"); certflow serves HTTP-01
		// itself, so an empty http01 is complete.
		{"acme solver with missing http01 config type (deviation: valid)", acme(func(a *ACMEIssuer) {
			a.Solvers = []solver.Config{{HTTP01: &solver.HTTP01Config{}}}
		}), nil},
		{"acme solver with valid http01 ingress config", acme(func(a *ACMEIssuer) {
			a.Solvers = []solver.Config{{HTTP01: &solver.HTTP01Config{Ingress: json.RawMessage(`{}`)}}}
		}), nil},
		{"acme solver with valid http01 gateway config", acme(func(a *ACMEIssuer) {
			a.Solvers = []solver.Config{{HTTP01: &solver.HTTP01Config{GatewayHTTPRoute: json.RawMessage(`{"parentRefs":[{"name":"blah","kind":"Gateway"}]}`)}}}
		}), nil},

		// TestValidateACMEIssuerDNS01Config rows, as they show on an issuer.
		{"rfc2136 provider with unenclosed IPv6 nameserver", acme(func(a *ACMEIssuer) {
			a.Solvers = []solver.Config{{DNS01: &solver.DNS01Config{RFC2136: &solver.RFC2136Config{Nameserver: "2001:db8::1"}}}}
		}), []string{"spec.acme.solvers[0].dns01.rfc2136.nameserver"}},
		{"rfc2136 provider TSIGKeyName provided but no TSIGSecret", acme(func(a *ACMEIssuer) {
			a.Solvers = []solver.Config{{DNS01: &solver.DNS01Config{RFC2136: &solver.RFC2136Config{Nameserver: "127.0.0.1", TSIGKeyName: "some-name"}}}}
		}), []string{"spec.acme.solvers[0].dns01.rfc2136.tsigSecretSecretRef.name", "spec.acme.solvers[0].dns01.rfc2136.tsigSecretSecretRef.key"}},
		{"both route53 accessKeyID and accessKeyIDSecretRef specified", acme(func(a *ACMEIssuer) {
			a.Solvers = []solver.Config{{DNS01: &solver.DNS01Config{Route53: &solver.Route53Config{Region: "valid", AccessKeyID: "valid",
				AccessKeyIDSecretRef: &validSecretKeyRef, SecretAccessKeySecretRef: &validSecretKeyRef}}}}
		}), []string{"spec.acme.solvers[0].dns01.route53"}},
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
		})
	}
}
