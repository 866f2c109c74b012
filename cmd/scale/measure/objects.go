package measure

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"time"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
)

// Names of what the run stores.
const (
	Namespace  = "scale"
	issuerName = "ca"
	caSecret   = "ca-key"
)

// CertName is the name of the i-th Certificate.
func CertName(i int) string { return fmt.Sprintf("c%d", i) }

// DNSName is the one name the i-th Certificate is issued for.
func DNSName(i int) string { return fmt.Sprintf("c%d.scale.test", i) }

// CertRef names the i-th Certificate.
func CertRef(i int) meta.Ref {
	return meta.Ref{Kind: meta.KindCertificate, Namespace: Namespace, Name: CertName(i)}
}

// Certificate is the i-th Certificate: one DNS name, ECDSA P-256, 90 days
// (renewed after 60), so nothing is due for weeks once it is issued.
func Certificate(i int) *certificate.Certificate {
	return &certificate.Certificate{
		ObjectMeta: meta.ObjectMeta{Namespace: Namespace, Name: CertName(i)},
		Spec: certificate.Spec{
			SecretName: CertName(i) + "-tls",
			IssuerRef:  meta.IssuerRef{Kind: meta.KindIssuer, Name: issuerName},
			DNSNames:   []string{DNSName(i)},
			Duration:   &meta.Duration{Duration: 90 * 24 * time.Hour},
			PrivateKey: &certificate.PrivateKey{Algorithm: certificate.ECDSA, Size: 256},
		},
	}
}

// CAIssuer is the Issuer every Certificate names.
func CAIssuer() *issuer.Issuer {
	return &issuer.Issuer{
		ObjectMeta: meta.ObjectMeta{Namespace: Namespace, Name: issuerName},
		Spec:       issuer.Spec{CA: &issuer.CAIssuer{SecretName: caSecret}},
	}
}

// CASecret is a new self-signed CA key pair valid from an hour before now
// for ten years.
func CASecret(now time.Time) (*secret.Secret, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "certflow scale CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	keyPEM, err := pki.EncodePrivateKey(key, true)
	if err != nil {
		return nil, err
	}
	crt := pki.EncodeDER(der)
	return &secret.Secret{
		ObjectMeta: meta.ObjectMeta{Namespace: Namespace, Name: caSecret},
		Type:       secret.TypeTLS,
		Data:       map[string][]byte{secret.TLSCertKey: crt, secret.TLSKeyKey: keyPEM, secret.CACertKey: crt},
	}, nil
}
