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
	if leaf == nil || len(leaf.AuthorityKeyId) == 0 || leaf.SerialNumber == nil {
		return "", ErrNoCertID
	}
	serial, err := serialDER(leaf.SerialNumber)
	if err != nil {
		return "", err
	}
	// One buffer for both halves: every visit of an issued ACME
	// certificate asks for its CertID.
	enc := base64.RawURLEncoding
	aki, sn := enc.EncodedLen(len(leaf.AuthorityKeyId)), enc.EncodedLen(len(serial))
	buf := make([]byte, aki+1+sn)
	enc.Encode(buf, leaf.AuthorityKeyId)
	buf[aki] = '.'
	enc.Encode(buf[aki+1:], serial)
	return string(buf), nil
}

// serialDER returns the contents octets of the DER INTEGER encoding n.
func serialDER(n *big.Int) ([]byte, error) {
	if n.Sign() >= 0 {
		// A non-negative INTEGER is its big-endian bytes, at least one, with
		// a zero byte first when the high bit is set (X.690 §8.3).
		b := make([]byte, 1+(n.BitLen()+7)/8)
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
