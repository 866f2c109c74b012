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
//
// Every ACME request certflow sends is signed here, so the body is written
// into one buffer: the header by hand (kid, nonce and url are the only
// strings in it), the signing input hashed where it lies in the body, the
// signature read from its ASN.1 without big integers.
func sign(key crypto.Signer, kid, nonce, url string, payload []byte) ([]byte, error) {
	alg, hash, err := algorithm(key)
	if err != nil {
		return nil, err
	}
	var hdr []byte
	if kid == "" {
		h := protected{Alg: alg, Nonce: nonce, URL: url}
		if h.JWK, err = publicJWK(key.Public()); err != nil {
			return nil, err
		}
		if hdr, err = json.Marshal(h); err != nil {
			return nil, err
		}
	} else {
		hdr = appendProtected(make([]byte, 0, 48+len(kid)+len(nonce)+len(url)), alg, kid, nonce, url)
	}
	enc := base64.RawURLEncoding
	body := make([]byte, 0, 64+enc.EncodedLen(len(hdr))+enc.EncodedLen(len(payload))+enc.EncodedLen(maxSignatureLen(key)))
	body = append(body, `{"protected":"`...)
	p0 := len(body)
	body = enc.AppendEncode(body, hdr)
	p1 := len(body)
	body = append(body, `","payload":"`...)
	b0 := len(body)
	body = enc.AppendEncode(body, payload)
	b1 := len(body)
	sum := hash.New()
	sum.Write(body[p0:p1])
	sum.Write([]byte{'.'})
	sum.Write(body[b0:b1])
	var digest [64]byte
	sig, err := key.Sign(rand.Reader, sum.Sum(digest[:0]), hash)
	if err != nil {
		return nil, fmt.Errorf("acmepost: sign: %w", err)
	}
	if ec, ok := key.Public().(*ecdsa.PublicKey); ok {
		// JWS wants r‖s, each as long as the curve's order (RFC 7518 §3.4);
		// crypto.Signer gives ASN.1.
		var rs [2 * 66]byte
		size := (ec.Curve.Params().BitSize + 7) / 8
		if !fixedSize(rs[:2*size], sig) {
			return nil, errors.New("acmepost: malformed ECDSA signature")
		}
		sig = rs[:2*size]
	}
	body = append(body, `","signature":"`...)
	body = enc.AppendEncode(body, sig)
	return append(body, `"}`...), nil
}

// appendProtected appends the protected header of a request by account kid
// as JSON, with protected's field names and order.
func appendProtected(b []byte, alg, kid, nonce, url string) []byte {
	b = append(b, `{"alg":`...)
	b = appendJSONString(b, alg)
	b = append(b, `,"kid":`...)
	b = appendJSONString(b, kid)
	b = append(b, `,"nonce":`...)
	b = appendJSONString(b, nonce)
	b = append(b, `,"url":`...)
	b = appendJSONString(b, url)
	return append(b, '}')
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, everything else (UTF-8 included) as is.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// maxSignatureLen bounds the JWS signature of key: r‖s of the largest
// curve, or the RSA modulus.
func maxSignatureLen(key crypto.Signer) int {
	if k, ok := key.Public().(*rsa.PublicKey); ok {
		return k.Size()
	}
	return 2 * 66
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

// fixedSize writes the ASN.1 ECDSA signature der as r‖s into out, each
// half len(out)/2 bytes, and reports whether der was a well-formed
// signature whose integers fit.
func fixedSize(out, der []byte) bool {
	var inner, r, s cryptobyte.String
	in := cryptobyte.String(der)
	if !in.ReadASN1(&inner, asn1.SEQUENCE) || !in.Empty() ||
		!inner.ReadASN1(&r, asn1.INTEGER) || !inner.ReadASN1(&s, asn1.INTEGER) || !inner.Empty() {
		return false
	}
	size := len(out) / 2
	return putUnsigned(out[:size], r) && putUnsigned(out[size:], s)
}

// putUnsigned writes the contents of a non-negative DER INTEGER into out,
// right-aligned with leading zeros.
func putUnsigned(out []byte, v []byte) bool {
	if len(v) == 0 || v[0]&0x80 != 0 {
		return false
	}
	for len(v) > 1 && v[0] == 0 {
		v = v[1:]
	}
	if len(v) > len(out) {
		return false
	}
	clear(out[:len(out)-len(v)])
	copy(out[len(out)-len(v):], v)
	return true
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
