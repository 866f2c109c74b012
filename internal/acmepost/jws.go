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
	Alg   string `json:"alg"`
	KID   string `json:"kid"`
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
// signed by key for the account kid with nonce.
func sign(key crypto.Signer, kid, nonce, url string, payload []byte) ([]byte, error) {
	alg, hash, err := algorithm(key)
	if err != nil {
		return nil, err
	}
	hdr, err := json.Marshal(protected{Alg: alg, KID: kid, Nonce: nonce, URL: url})
	if err != nil {
		return nil, err
	}
	enc := base64.RawURLEncoding
	p := enc.EncodeToString(hdr)
	b := enc.EncodeToString(payload)
	h := hash.New()
	h.Write([]byte(p + "." + b))
	sig, err := key.Sign(rand.Reader, h.Sum(nil), hash)
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
