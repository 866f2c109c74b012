package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// Errors for key handling. Messages never contain key material.
var (
	ErrUnsupportedKey = errors.New("pki: unsupported key")
	ErrBadPEM         = errors.New("pki: bad PEM")
)

// Key algorithm names as certificate.KeyAlgorithm spells them.
const (
	AlgRSA     = "RSA"
	AlgECDSA   = "ECDSA"
	AlgEd25519 = "Ed25519"
)

// GenerateKey makes a key of the given algorithm and size (RSA bits or ECDSA
// curve bits; ignored for Ed25519).
func GenerateKey(alg string, size int) (crypto.Signer, error) {
	switch alg {
	case AlgRSA:
		return rsa.GenerateKey(rand.Reader, size)
	case AlgECDSA:
		c, err := curve(size)
		if err != nil {
			return nil, err
		}
		return ecdsa.GenerateKey(c, rand.Reader)
	case AlgEd25519:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	}
	return nil, fmt.Errorf("%w: algorithm %q", ErrUnsupportedKey, alg)
}

func curve(size int) (elliptic.Curve, error) {
	switch size {
	case 256:
		return elliptic.P256(), nil
	case 384:
		return elliptic.P384(), nil
	case 521:
		return elliptic.P521(), nil
	}
	return nil, fmt.Errorf("%w: ECDSA size %d", ErrUnsupportedKey, size)
}

// KeyMatches reports whether key has the given algorithm and size.
func KeyMatches(key crypto.Signer, alg string, size int) bool {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return alg == AlgRSA && k.N.BitLen() == size
	case *ecdsa.PrivateKey:
		return alg == AlgECDSA && k.Curve.Params().BitSize == size
	case ed25519.PrivateKey:
		return alg == AlgEd25519
	}
	return false
}

// EncodePrivateKey PEM-encodes key: PKCS1 ("RSA PRIVATE KEY") or SEC 1 ("EC
// PRIVATE KEY") when pkcs8 is false, PKCS#8 otherwise. Ed25519 is always PKCS#8.
func EncodePrivateKey(key crypto.Signer, pkcs8 bool) ([]byte, error) {
	if k, ok := key.(*ecdsa.PrivateKey); ok {
		if der, ok, err := ecPrivateKeyDER(k, pkcs8); ok {
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrUnsupportedKey, err)
			}
			return pemOf(der, pkcs8), nil
		}
	}
	if !pkcs8 {
		switch k := key.(type) {
		case *rsa.PrivateKey:
			return privateKeyPEM("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k)), nil
		case *ecdsa.PrivateKey:
			der, err := x509.MarshalECPrivateKey(k)
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrUnsupportedKey, err)
			}
			return privateKeyPEM("EC PRIVATE KEY", der), nil
		}
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %T", ErrUnsupportedKey, key)
	}
	return privateKeyPEM("PRIVATE KEY", der), nil
}

// pemOf is the PEM block of an EC private key's DER, which it clears: the
// key is then only in the PEM.
func pemOf(der []byte, pkcs8 bool) []byte {
	typ := "EC PRIVATE KEY"
	if pkcs8 {
		typ = "PRIVATE KEY"
	}
	return privateKeyPEM(typ, der)
}

// privateKeyPEM is the PEM block typ of a private key's DER, which it
// clears (x509 returns a fresh one): the key is then only in the PEM.
func privateKeyPEM(typ string, der []byte) []byte {
	out := appendPEM(nil, typ, der)
	clear(der)
	return out
}

// ParsePrivateKey reads the first private key PEM block in any of the
// encodings EncodePrivateKey writes.
func ParsePrivateKey(data []byte) (crypto.Signer, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, fmt.Errorf("%w: no private key block", ErrBadPEM)
		}
		var (
			k   any
			err error
		)
		switch b.Type {
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		case "EC PRIVATE KEY":
			k, err = x509.ParseECPrivateKey(b.Bytes)
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		default:
			continue
		}
		if err != nil {
			// The parse error text describes structure only, never key bytes.
			return nil, fmt.Errorf("%w: %s block: %v", ErrBadPEM, b.Type, err)
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("%w: %T", ErrUnsupportedKey, k)
		}
		return s, nil
	}
}

// PublicKeysEqual reports whether a and b are the same public key.
func PublicKeysEqual(a, b crypto.PublicKey) bool {
	if ea, ok := a.(*ecdsa.PublicKey); ok {
		// ecdsa's Equal compares the coordinates' bytes in constant time,
		// four allocations a call; a public key is no secret, and an
		// issuance compares its key with its CSR's and its leaf's on every
		// visit.
		eb, ok := b.(*ecdsa.PublicKey)
		if ok && ea != nil && eb != nil && ea.X != nil && ea.Y != nil && eb.X != nil && eb.Y != nil {
			return ea.Curve == eb.Curve && ea.X.Cmp(eb.X) == 0 && ea.Y.Cmp(eb.Y) == 0
		}
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := a.(equaler)
	return ok && e.Equal(b)
}
