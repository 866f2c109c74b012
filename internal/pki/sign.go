package pki

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"math/big"
	"time"
)

// serialLimit bounds random serial numbers to 128 bits, as RFC 5280 allows
// up to 20 octets and CAs conventionally use at least 64 bits of entropy.
var serialLimit = new(big.Int).Lsh(big.NewInt(1), 128)

// RandomSerial returns a random positive serial number of up to 128 bits.
func RandomSerial() (*big.Int, error) {
	for {
		n, err := rand.Int(rand.Reader, serialLimit)
		if err != nil {
			return nil, fmt.Errorf("pki: serial: %w", err)
		}
		if n.Sign() > 0 {
			return n, nil
		}
	}
}

// LeafTemplate is what an issuer decides about a certificate it signs for a CSR.
type LeafTemplate struct {
	NotBefore, NotAfter time.Time
	IsCA                bool
	// Usages are cert-manager usage names; empty means DefaultUsages.
	Usages []string
	// CRLDistributionPoints and OCSPServers are copied into the certificate. If
	// empty, the extensions are omitted.
	CRLDistributionPoints []string
	OCSPServers           []string
}

// TemplateFromCSR builds the certificate template for csr: the CSR's subject
// (byte for byte) and SANs, a random serial, validity, basic constraints and
// key usages from t. Extensions the CSR requests beyond SANs are ignored, as
// cert-manager ignores them.
func TemplateFromCSR(csr *x509.CertificateRequest, t LeafTemplate) (*x509.Certificate, error) {
	ku, eku, err := Usages(t.Usages, t.IsCA)
	if err != nil {
		return nil, err
	}
	serial, err := RandomSerial()
	if err != nil {
		return nil, err
	}
	return &x509.Certificate{
		SerialNumber:          serial,
		RawSubject:            csr.RawSubject,
		Subject:               csr.Subject,
		DNSNames:              csr.DNSNames,
		IPAddresses:           csr.IPAddresses,
		URIs:                  csr.URIs,
		EmailAddresses:        csr.EmailAddresses,
		NotBefore:             t.NotBefore,
		NotAfter:              t.NotAfter,
		KeyUsage:              ku,
		ExtKeyUsage:           eku,
		BasicConstraintsValid: true,
		IsCA:                  t.IsCA,
		CRLDistributionPoints: t.CRLDistributionPoints,
		OCSPServer:            t.OCSPServers,
	}, nil
}

// SignCertificate signs tmpl for pub with parent's key signer and returns the
// DER certificate. For a self-signed certificate pass tmpl as parent.
func SignCertificate(tmpl *x509.Certificate, pub crypto.PublicKey, parent *x509.Certificate, signer crypto.Signer) ([]byte, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		return nil, fmt.Errorf("pki: sign certificate: %w", err)
	}
	return der, nil
}
