package acmetest_test

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"
)

// signJWS builds a flattened JWS (ES256, embedded JWK) as RFC 8555 §6.2
// wants for newAccount, so a test can choose the nonce itself.
func signJWS(t *testing.T, key *ecdsa.PrivateKey, nonce, url string, payload any) []byte {
	t.Helper()
	pad := func(b *big.Int) string { return base64.RawURLEncoding.EncodeToString(padBytes(b)) }
	protected, err := json.Marshal(map[string]any{
		"alg":   "ES256",
		"nonce": nonce,
		"url":   url,
		"jwk": map[string]string{
			"kty": "EC", "crv": "P-256", "x": pad(key.X), "y": pad(key.Y),
		},
	})
	require.NoError(t, err)
	body, err := json.Marshal(payload)
	require.NoError(t, err)
	p64 := base64.RawURLEncoding.EncodeToString(protected)
	b64 := base64.RawURLEncoding.EncodeToString(body)
	digest := sha256.Sum256([]byte(p64 + "." + b64))
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	require.NoError(t, err)
	sig := base64.RawURLEncoding.EncodeToString(append(padBytes(r), padBytes(s)...))
	out, err := json.Marshal(map[string]string{"protected": p64, "payload": b64, "signature": sig})
	require.NoError(t, err)
	return out
}

func padBytes(b *big.Int) []byte {
	buf := make([]byte, 32)
	b.FillBytes(buf)
	return buf
}
