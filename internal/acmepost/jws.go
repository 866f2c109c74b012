package acmepost

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha256" // crypto.SHA256 for ES256 and RS256
	_ "crypto/sha512" // crypto.SHA384 and SHA512 for ES384 and ES512
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// ErrUnsupportedKey means the account key is neither ECDSA (P-256, P-384,
// P-521) nor RSA, the key types ACME CAs accept.
var ErrUnsupportedKey = errors.New("acmepost: unsupported account key")

// protected is the JWS protected header of a request signed by an account
// (RFC 8555 §6.2: kid, never jwk, once the account exists).
type protected struct {
	Alg string `json:"alg"`
	KID string `json:"kid,omitempty"`
	// JWK replaces KID in the one request certflow signs with a key that
	// is no account's: revokeCert signed by the certificate's key (§7.6).
	JWK   *jwk   `json:"jwk,omitempty"`
	Nonce string `json:"nonce"`
	URL   string `json:"url"`
}

// flattened is the flattened JSON serialization RFC 8555 §6.2 requires.
type flattened struct {
	Protected string `json:"protected"`
	Payload   string `json:"payload"`
	Signature string `json:"signature"`
}

// sign returns the request body for payload (nil for POST-as-GET) to url,
// signed by key for the account kid with nonce; an empty kid embeds key's
// public JWK instead.
func sign(key crypto.Signer, kid, nonce, url string, payload []byte) ([]byte, error) {
	alg, hash, err := algorithm(key)
	if err != nil {
		return nil, err
	}
	h := protected{Alg: alg, KID: kid, Nonce: nonce, URL: url}
	if kid == "" {
		if h.JWK, err = publicJWK(key.Public()); err != nil {
			return nil, err
		}
	}
	hdr, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	enc := base64.RawURLEncoding
	p := enc.EncodeToString(hdr)
	b := enc.EncodeToString(payload)
	sum := hash.New()
	sum.Write([]byte(p + "." + b))
	sig, err := key.Sign(rand.Reader, sum.Sum(nil), hash)
	if err != nil {
		return nil, fmt.Errorf("acmepost: sign: %w", err)
	}
	if ec, ok := key.Public().(*ecdsa.PublicKey); ok {
		// JWS wants r‖s, each as long as the curve's order (RFC 7518 §3.4);
		// crypto.Signer gives ASN.1.
		if sig, err = fixedSize(sig, (ec.Curve.Params().BitSize+7)/8); err != nil {
			return nil, err
		}
	}
	return json.Marshal(flattened{Protected: p, Payload: b, Signature: enc.EncodeToString(sig)})
}

// algorithm is the JWS algorithm of key and its hash.
func algorithm(key crypto.Signer) (string, crypto.Hash, error) {
	switch pub := key.Public().(type) {
	case *rsa.PublicKey:
		return "RS256", crypto.SHA256, nil
	case *ecdsa.PublicKey:
		switch pub.Curve.Params().BitSize {
		case 256:
			return "ES256", crypto.SHA256, nil
		case 384:
			return "ES384", crypto.SHA384, nil
		case 521:
			return "ES512", crypto.SHA512, nil
		}
	}
	return "", 0, fmt.Errorf("%w: %T", ErrUnsupportedKey, key.Public())
}

// fixedSize turns an ASN.1 ECDSA signature into r‖s of size bytes each.
func fixedSize(der []byte, size int) ([]byte, error) {
	var r, s big.Int
	var inner cryptobyte.String
	in := cryptobyte.String(der)
	if !in.ReadASN1(&inner, asn1.SEQUENCE) || !in.Empty() ||
		!inner.ReadASN1Integer(&r) || !inner.ReadASN1Integer(&s) || !inner.Empty() {
		return nil, errors.New("acmepost: malformed ECDSA signature")
	}
	out := make([]byte, 2*size)
	r.FillBytes(out[:size])
	s.FillBytes(out[size:])
	return out, nil
}

// jwk is a public key as RFC 7517 writes it: EC (crv, x, y) or RSA (e, n).
type jwk struct {
	Crv string `json:"crv,omitempty"`
	E   string `json:"e,omitempty"`
	Kty string `json:"kty"`
	N   string `json:"n,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
}

// publicJWK encodes pub, an ECDSA or RSA public key.
func publicJWK(pub crypto.PublicKey) (*jwk, error) {
	enc := base64.RawURLEncoding
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return &jwk{Kty: "RSA", E: enc.EncodeToString(big.NewInt(int64(k.E)).Bytes()), N: enc.EncodeToString(k.N.Bytes())}, nil
	case *ecdsa.PublicKey:
		size := (k.Curve.Params().BitSize + 7) / 8
		x, y, err := ecPoint(k, size)
		if err != nil {
			return nil, err
		}
		return &jwk{Kty: "EC", Crv: k.Curve.Params().Name, X: enc.EncodeToString(x), Y: enc.EncodeToString(y)}, nil
	}
	return nil, fmt.Errorf("%w: %T", ErrUnsupportedKey, pub)
}

// ecPoint returns k's coordinates, each size bytes long (RFC 7518 §6.2.1).
func ecPoint(k *ecdsa.PublicKey, size int) (x, y []byte, err error) {
	raw, err := k.Bytes() // uncompressed: 0x04 ‖ x ‖ y
	if err != nil || len(raw) != 1+2*size {
		return nil, nil, fmt.Errorf("%w: cannot encode the ECDSA public key", ErrUnsupportedKey)
	}
	return raw[1 : 1+size], raw[1+size:], nil
}
