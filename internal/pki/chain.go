package pki

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// ErrBadChain means a PEM chain holds no certificate or a malformed one.
var ErrBadChain = errors.New("pki: bad certificate chain")

// ParseChain decodes every CERTIFICATE block of a PEM chain, leaf first.
func ParseChain(data []byte) ([]*x509.Certificate, error) {
	return parseChain(data, x509.ParseCertificate)
}

// parseChain is ParseChain, with the certificates after the leaf parsed by
// issuer.
func parseChain(data []byte, issuer func(der []byte) (*x509.Certificate, error)) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		parse := x509.ParseCertificate
		if len(out) > 0 {
			parse = issuer
		}
		c, err := parse(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: certificate %d: %v", ErrBadChain, len(out), err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no CERTIFICATE block", ErrBadChain)
	}
	return out, nil
}

// EncodeCerts PEM-encodes certificates in order.
func EncodeCerts(certs ...*x509.Certificate) []byte {
	var buf bytes.Buffer
	for _, c := range certs {
		_ = pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return buf.Bytes()
}

// EncodeDER PEM-encodes DER certificates in order.
func EncodeDER(ders ...[]byte) []byte {
	if len(ders) == 0 {
		return nil
	}
	size := 0
	for _, d := range ders {
		size += 64 + len(d)*4/3 + len(d)/48 // appendPEM's block, roughly
	}
	out := make([]byte, 0, size)
	for _, d := range ders {
		out = appendPEM(out, "CERTIFICATE", d)
	}
	return out
}
