package certificate

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
)

var policyNow = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func policyCert() *Certificate {
	return &Certificate{
		ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "web", Generation: 1},
		Spec: Spec{
			SecretName: "web-tls",
			IssuerRef:  meta.IssuerRef{Name: "ca", Kind: meta.KindIssuer},
			DNSNames:   []string{"a.example.test", "b.example.test"},
			PrivateKey: &PrivateKey{Algorithm: ECDSA, Size: 256},
		},
	}
}

// issuedSecret builds the Secret an issuance of c would write.
func testSecret(t *testing.T, c *Certificate, key crypto.Signer, mutate func(*x509.Certificate)) *secret.Secret {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: c.Spec.CommonName},
		DNSNames:     c.Spec.DNSNames,
		NotBefore:    policyNow.Add(-24 * time.Hour),
		NotAfter:     policyNow.Add(60 * 24 * time.Hour),
	}
	if mutate != nil {
		mutate(tmpl)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	require.NoError(t, err)
	keyPEM, err := pki.EncodePrivateKey(key, false)
	require.NoError(t, err)
	s := &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "web-tls", Annotations: map[string]string{
		secret.AnnotationIssuerName: "ca", secret.AnnotationIssuerKind: "Issuer", AnnotationSpecHash: SpecHash(&c.Spec)}},
		Data: map[string][]byte{secret.TLSCertKey: pki.EncodeDER(der), secret.TLSKeyKey: keyPEM}}
	return s
}

func TestIssuanceTrigger(t *testing.T) {
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	otherKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)

	tests := []struct {
		name   string
		secret func(t *testing.T, c *Certificate) *secret.Secret
		cert   func(c *Certificate)
		now    time.Time
		want   meta.Reason // "" means no issuance
	}{
		{"up to date", func(t *testing.T, c *Certificate) *secret.Secret { return testSecret(t, c, ecKey, nil) }, nil, policyNow, ""},
		{"secret does not exist", func(*testing.T, *Certificate) *secret.Secret { return nil }, nil, policyNow, ReasonDoesNotExist},
		{"secret without data", func(*testing.T, *Certificate) *secret.Secret {
			return &secret.Secret{Data: map[string][]byte{secret.TLSCertKey: []byte("x")}}
		}, nil, policyNow, ReasonMissingData},
		{"unparsable certificate", func(t *testing.T, c *Certificate) *secret.Secret {
			s := testSecret(t, c, ecKey, nil)
			s.Data[secret.TLSCertKey] = []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
			return s
		}, nil, policyNow, ReasonInvalidCertificate},
		{"key does not match certificate", func(t *testing.T, c *Certificate) *secret.Secret {
			s := testSecret(t, c, ecKey, nil)
			other, _ := pki.EncodePrivateKey(otherKey, false)
			s.Data[secret.TLSKeyKey] = other
			return s
		}, nil, policyNow, ReasonInvalidKeyPair},
		{"issued by another issuer", func(t *testing.T, c *Certificate) *secret.Secret {
			s := testSecret(t, c, ecKey, nil)
			s.ObjectMeta.Annotations[secret.AnnotationIssuerName] = "old-ca"
			return s
		}, nil, policyNow, ReasonIncorrectIssuer},
		{"key algorithm differs from spec", func(t *testing.T, c *Certificate) *secret.Secret { return testSecret(t, c, rsaKey, nil) },
			nil, policyNow, ReasonSecretMismatch},
		{"dns names differ from spec", func(t *testing.T, c *Certificate) *secret.Secret {
			return testSecret(t, c, ecKey, func(x *x509.Certificate) { x.DNSNames = []string{"a.example.test"} })
		}, nil, policyNow, ReasonSecretMismatch},
		{"names compared case-insensitively and unordered", func(t *testing.T, c *Certificate) *secret.Secret {
			return testSecret(t, c, ecKey, func(x *x509.Certificate) { x.DNSNames = []string{"B.example.test", "a.example.test"} })
		}, nil, policyNow, ""},
		{"spec changed (duration)", func(t *testing.T, c *Certificate) *secret.Secret { return testSecret(t, c, ecKey, nil) },
			func(c *Certificate) { c.Spec.Duration = &meta.Duration{Duration: 48 * time.Hour} }, policyNow, ReasonSecretMismatch},
		{"renewBefore change does not reissue", func(t *testing.T, c *Certificate) *secret.Secret { return testSecret(t, c, ecKey, nil) },
			func(c *Certificate) { c.Spec.RenewBefore = &meta.Duration{Duration: time.Hour} }, policyNow, ""},
		{"expired", func(t *testing.T, c *Certificate) *secret.Secret { return testSecret(t, c, ecKey, nil) },
			nil, policyNow.Add(61 * 24 * time.Hour), ReasonExpired},
		{"renewal time reached", func(t *testing.T, c *Certificate) *secret.Secret { return testSecret(t, c, ecKey, nil) },
			nil, policyNow.Add(40 * 24 * time.Hour), ReasonRenewing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := policyCert()
			s := tt.secret(t, c)
			if tt.cert != nil {
				tt.cert(c)
			}
			trig, need := IssuanceTrigger(Input{Cert: c, Secret: s, Now: tt.now})
			if tt.want == "" {
				assert.False(t, need, "unexpected trigger %+v", trig)
				return
			}
			require.True(t, need)
			assert.Equal(t, tt.want, trig.Reason)
			assert.NotEmpty(t, trig.Message)
		})
	}
}
