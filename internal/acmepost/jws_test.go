package acmepost

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A signed request is the flattened JWS RFC 8555 §6.2 asks for: the
// protected header names the algorithm, the account (kid), the nonce and
// the URL, and the signature verifies with the account's public key.
func TestSignVerifies(t *testing.T) {
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	p521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	require.NoError(t, err)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	for _, tt := range []struct {
		alg string
		key crypto.Signer
	}{{"ES256", p256}, {"ES384", p384}, {"ES512", p521}, {"RS256", rsaKey}} {
		t.Run(tt.alg, func(t *testing.T) {
			payload := []byte(`{"csr":"abc"}`)
			body, err := sign(tt.key, "https://ca/acct/1", "nonce-1", "https://ca/finalize/1", payload)
			require.NoError(t, err)
			var jws flattened
			require.NoError(t, json.Unmarshal(body, &jws))
			enc := base64.RawURLEncoding
			hdrJSON, err := enc.DecodeString(jws.Protected)
			require.NoError(t, err)
			var hdr protected
			require.NoError(t, json.Unmarshal(hdrJSON, &hdr))
			assert.Equal(t, protected{Alg: tt.alg, KID: "https://ca/acct/1", Nonce: "nonce-1", URL: "https://ca/finalize/1"}, hdr)
			got, err := enc.DecodeString(jws.Payload)
			require.NoError(t, err)
			assert.Equal(t, payload, got)

			sig, err := enc.DecodeString(jws.Signature)
			require.NoError(t, err)
			_, hash, err := algorithm(tt.key)
			require.NoError(t, err)
			h := hash.New()
			h.Write([]byte(jws.Protected + "." + jws.Payload))
			digest := h.Sum(nil)
			switch pub := tt.key.Public().(type) {
			case *ecdsa.PublicKey:
				size := (pub.Curve.Params().BitSize + 7) / 8
				require.Len(t, sig, 2*size, "r‖s of fixed size")
				r, s := new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])
				assert.True(t, ecdsa.Verify(pub, digest, r, s))
			case *rsa.PublicKey:
				assert.NoError(t, rsa.VerifyPKCS1v15(pub, hash, digest, sig))
			}
		})
	}
}

// POST-as-GET has an empty payload.
func TestSignEmptyPayload(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	body, err := sign(key, "kid", "n", "https://ca/order/1", nil)
	require.NoError(t, err)
	var jws flattened
	require.NoError(t, json.Unmarshal(body, &jws))
	assert.Empty(t, jws.Payload)
}

func TestSignRefusesOtherKeys(t *testing.T) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	_, err = sign(key, "kid", "n", "https://ca/x", nil)
	assert.ErrorIs(t, err, ErrUnsupportedKey)
}

// The hand-written header reads back as the struct it stands for, with
// strings JSON must escape.
func TestProtectedHeaderIsJSON(t *testing.T) {
	for _, s := range []string{"https://ca/acct/1", `quo"te`, `back\slash`, "ctl\x00\x1f\n", "<&>", "ünï"} {
		var got protected
		require.NoError(t, json.Unmarshal(appendProtected(nil, "ES256", s, s+"n", s+"u"), &got), s)
		assert.Equal(t, protected{Alg: "ES256", KID: s, Nonce: s + "n", URL: s + "u"}, got)
	}
}

// fixedSize pads short integers, drops DER's sign byte, and refuses what
// is no signature of that size.
func TestFixedSize(t *testing.T) {
	der := func(r, s *big.Int) []byte {
		b, err := asn1.Marshal(struct{ R, S *big.Int }{r, s})
		require.NoError(t, err)
		return b
	}
	out := make([]byte, 8)
	require.True(t, fixedSize(out, der(big.NewInt(0x01), big.NewInt(0xfedcba98))))
	assert.Equal(t, []byte{0, 0, 0, 1, 0xfe, 0xdc, 0xba, 0x98}, out)
	require.True(t, fixedSize(out, der(big.NewInt(0), big.NewInt(0x7f))))
	assert.Equal(t, []byte{0, 0, 0, 0, 0, 0, 0, 0x7f}, out)
	assert.False(t, fixedSize(out, der(big.NewInt(0x1_0000_0000), big.NewInt(1))), "too long")
	assert.False(t, fixedSize(out, der(big.NewInt(-1), big.NewInt(1))), "negative")
	assert.False(t, fixedSize(out, append(der(big.NewInt(1), big.NewInt(1)), 0)), "trailing bytes")
	assert.False(t, fixedSize(out, []byte{0x30, 0x03, 0x02, 0x01}), "truncated")
}

// Signatures of every length verify: over many P-256 signatures r or s is
// shorter than 32 bytes now and then.
func TestSignManyVerify(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	for range 1000 {
		body, err := sign(key, "kid", "n", "https://ca/x", nil)
		require.NoError(t, err)
		var jws flattened
		require.NoError(t, json.Unmarshal(body, &jws))
		sig, err := base64.RawURLEncoding.DecodeString(jws.Signature)
		require.NoError(t, err)
		digest := sha256.Sum256([]byte(jws.Protected + "." + jws.Payload))
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		require.True(t, ecdsa.Verify(&key.PublicKey, digest[:], r, s))
	}
}

func TestFinalizePayloadIsTheCSRInJSON(t *testing.T) {
	csr := []byte{0xfb, 0xff, 0x00, 0x3e, 0x3f, 1, 2}
	var got struct {
		CSR string `json:"csr"`
	}
	require.NoError(t, json.Unmarshal(finalizePayload(csr), &got))
	assert.Equal(t, base64.RawURLEncoding.EncodeToString(csr), got.CSR)
}
