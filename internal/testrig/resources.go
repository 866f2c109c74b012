package testrig

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// Epoch is where fake clocks start.
var Epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// CertRef names the Certificate ns/name.
func CertRef(ns, name string) meta.Ref {
	return meta.Ref{Kind: meta.KindCertificate, Namespace: ns, Name: name}
}

// CASecret makes a self-signed ECDSA CA key pair Secret.
func CASecret(t testing.TB, ns, name string, notBefore time.Time) *secret.Secret {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "certflow test CA"},
		NotBefore:             notBefore.Add(-time.Hour),
		NotAfter:              notBefore.Add(10 * 365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyPEM, err := pki.EncodePrivateKey(key, true)
	require.NoError(t, err)
	crt := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return &secret.Secret{
		ObjectMeta: meta.ObjectMeta{Namespace: ns, Name: name},
		Type:       secret.TypeTLS,
		Data:       map[string][]byte{secret.TLSCertKey: crt, secret.TLSKeyKey: keyPEM, secret.CACertKey: crt},
	}
}

// CAIssuer is a CA Issuer signing with the key pair in Secret secretName.
func CAIssuer(ns, name, secretName string) *issuer.Issuer {
	return &issuer.Issuer{
		ObjectMeta: meta.ObjectMeta{Namespace: ns, Name: name},
		Spec:       issuer.Spec{CA: &issuer.CAIssuer{SecretName: secretName}},
	}
}

// Certificate is a one-day ECDSA P-256 Certificate for dnsNames from the
// Issuer issuerName, stored in Secret name-tls.
func Certificate(ns, name, issuerName string, dnsNames ...string) *certificate.Certificate {
	return &certificate.Certificate{
		ObjectMeta: meta.ObjectMeta{Namespace: ns, Name: name},
		Spec: certificate.Spec{
			SecretName: name + "-tls",
			IssuerRef:  meta.IssuerRef{Name: issuerName, Kind: meta.KindIssuer},
			DNSNames:   dnsNames,
			Duration:   &meta.Duration{Duration: 24 * time.Hour},
			PrivateKey: &certificate.PrivateKey{Algorithm: certificate.ECDSA, Size: 256},
		},
	}
}

// ACMECertificate is Certificate with the default duration (an ACME CA
// chooses the validity).
func ACMECertificate(ns, name, issuerName string, names ...string) *certificate.Certificate {
	c := Certificate(ns, name, issuerName, names...)
	c.Spec.Duration = nil
	return c
}

// CertReady tells whether c is Ready and has been issued.
func CertReady(c *certificate.Certificate) bool {
	return c.Status.Conditions.IsTrue(meta.ConditionReady) && c.Status.Revision != nil
}

// RevisionAtLeast holds for a Ready Certificate issued at least n times.
func RevisionAtLeast(n int) func(*certificate.Certificate) bool {
	return func(c *certificate.Certificate) bool {
		return CertReady(c) && *c.Status.Revision >= n
	}
}

// ReadSecret reads the TLS Secret ns/name from st, checks that its key
// matches its leaf and returns the leaf and its public key (PKIX DER).
func ReadSecret(t testing.TB, ctx context.Context, st store.Store, ns, name string) (*x509.Certificate, []byte) {
	t.Helper()
	s := &secret.Secret{}
	require.NoError(t, st.Get(ctx, meta.Ref{Kind: meta.KindSecret, Namespace: ns, Name: name}, s))
	chain, err := pki.ParseChain(s.Data[secret.TLSCertKey])
	require.NoError(t, err)
	key, err := pki.ParsePrivateKey(s.Data[secret.TLSKeyKey])
	require.NoError(t, err)
	require.True(t, pki.PublicKeysEqual(key.Public(), chain[0].PublicKey), "tls.key must match tls.crt")
	der, err := x509.MarshalPKIXPublicKey(chain[0].PublicKey)
	require.NoError(t, err)
	return chain[0], der
}
