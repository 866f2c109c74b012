package pki

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/url"
)

// ErrBadCSR means a CSR could not be parsed or its signature is wrong.
var ErrBadCSR = errors.New("pki: bad CSR")

// CSRTemplate is what goes into a certificate signing request.
type CSRTemplate struct {
	Subject        pkix.Name
	DNSNames       []string
	IPAddresses    []net.IP
	URIs           []*url.URL
	EmailAddresses []string
}

// CreateCSR signs t with key and returns it PEM-encoded.
func CreateCSR(key crypto.Signer, t CSRTemplate) ([]byte, error) {
	der, ok, err := encodeCSR(key, t)
	if !ok {
		der, err = x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
			Subject:        t.Subject,
			DNSNames:       t.DNSNames,
			IPAddresses:    t.IPAddresses,
			URIs:           t.URIs,
			EmailAddresses: t.EmailAddresses,
		}, key)
	}
	if err != nil {
		return nil, fmt.Errorf("pki: create CSR: %w", err)
	}
	return appendPEM(nil, "CERTIFICATE REQUEST", der), nil
}

// ParseCSR decodes a PEM CSR and checks its self-signature.
func ParseCSR(data []byte) (*x509.CertificateRequest, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "CERTIFICATE REQUEST" {
		return nil, fmt.Errorf("%w: no CERTIFICATE REQUEST block", ErrBadCSR)
	}
	csr, err := x509.ParseCertificateRequest(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadCSR, err)
	}
	if err := ParseCSRSignature(csr); err != nil {
		return nil, err
	}
	return csr, nil
}

// ParseCSRSignature checks the self-signature of a parsed CSR, with the
// error ParseCSR returns.
func ParseCSRSignature(csr *x509.CertificateRequest) error {
	if err := csr.CheckSignature(); err != nil {
		return fmt.Errorf("%w: signature: %v", ErrBadCSR, err)
	}
	return nil
}

// ParseCSRUnverified decodes a PEM CSR without checking its signature: for
// CSRs already verified once (an approved request) or made by this process.
// The signature check is an ECDSA or RSA verification, the costliest step
// of a reconcile that only needs the CSR's names or key.
func ParseCSRUnverified(data []byte) (*x509.CertificateRequest, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "CERTIFICATE REQUEST" {
		return nil, fmt.Errorf("%w: no CERTIFICATE REQUEST block", ErrBadCSR)
	}
	csr, err := x509.ParseCertificateRequest(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadCSR, err)
	}
	return csr, nil
}

// CSRPublicKey returns the public key of a PEM CSR without checking its
// signature: for comparing keys of CSRs this process made itself.
func CSRPublicKey(data []byte) (any, error) {
	csr, err := ParseCSRUnverified(data)
	if err != nil {
		return nil, err
	}
	return csr.PublicKey, nil
}
