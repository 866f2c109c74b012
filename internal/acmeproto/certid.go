package acmeproto

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
)

// ErrNoCertID means a certificate has no ACME Renewal Information CertID:
// it lacks an Authority Key Identifier (RFC 9773 §4.1 needs its
// keyIdentifier) or a serial number.
var ErrNoCertID = errors.New("acmeproto: certificate has no ARI CertID")

// CertID returns the certificate's identifier for ACME Renewal Information
// (RFC 9773 §4.1): base64url(keyIdentifier of its Authority Key Identifier)
// "." base64url(the DER bytes of its serial number, the INTEGER's contents
// with a leading zero byte kept when the high bit is set), both unpadded. It
// names the certificate in a renewalInfo URL and in newOrder's replaces.
func CertID(leaf *x509.Certificate) (string, error) {
	var buf [certIDBuf]byte
	b, err := AppendCertID(buf[:0], leaf)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// certIDBuf holds the CertID of a certificate with a 20-byte key
// identifier and a 20-byte serial (RFC 5280's longest) without growing.
const certIDBuf = 64

// IsCertID reports whether id is leaf's CertID, and whether leaf has one
// (ok), without allocating: renewal decisions compare the stored ARI
// status with the leaf on every visit of an issued certificate.
func IsCertID(leaf *x509.Certificate, id string) (is, ok bool) {
	var buf [certIDBuf]byte
	b, err := AppendCertID(buf[:0], leaf)
	if err != nil {
		return false, false
	}
	return string(b) == id, true
}

// AppendCertID appends leaf's CertID (see CertID) to dst.
func AppendCertID(dst []byte, leaf *x509.Certificate) ([]byte, error) {
	if leaf == nil || len(leaf.AuthorityKeyId) == 0 || leaf.SerialNumber == nil {
		return dst, ErrNoCertID
	}
	var sb [certIDBuf]byte
	serial, err := appendSerialDER(sb[:0], leaf.SerialNumber)
	if err != nil {
		return dst, err
	}
	enc := base64.RawURLEncoding
	dst = enc.AppendEncode(dst, leaf.AuthorityKeyId)
	dst = append(dst, '.')
	return enc.AppendEncode(dst, serial), nil
}

// serialDER returns the contents octets of the DER INTEGER encoding n.
func serialDER(n *big.Int) ([]byte, error) { return appendSerialDER(nil, n) }

// appendSerialDER is serialDER into dst's room when it has enough (its
// contents are not kept).
func appendSerialDER(dst []byte, n *big.Int) ([]byte, error) {
	if n.Sign() >= 0 {
		// A non-negative INTEGER is its big-endian bytes, at least one, with
		// a zero byte first when the high bit is set (X.690 §8.3).
		var b []byte
		if l := 1 + (n.BitLen()+7)/8; l <= cap(dst) {
			b = dst[:l]
		} else {
			b = make([]byte, l)
		}
		b[0] = 0
		n.FillBytes(b[1:])
		if len(b) > 1 && b[1] < 0x80 {
			b = b[1:]
		}
		return b, nil
	}
	der, err := asn1.Marshal(n)
	if err != nil {
		return nil, fmt.Errorf("%w: serial: %w", ErrNoCertID, err)
	}
	var raw asn1.RawValue
	if _, err := asn1.Unmarshal(der, &raw); err != nil {
		return nil, fmt.Errorf("%w: serial: %w", ErrNoCertID, err)
	}
	return raw.Bytes, nil
}
