package acmepost

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
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
