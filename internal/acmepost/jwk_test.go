package acmepost

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"
)

// A request signed without an account (kid "") embeds the key's public
// JWK instead (RFC 8555 §6.2): its RFC 7638 thumbprint is the one
// x/crypto/acme computes for the same key, and it carries no kid.
func TestSignWithoutAccountEmbedsJWK(t *testing.T) {
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	p521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	require.NoError(t, err)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	for _, key := range []crypto.Signer{p256, p384, p521, rsaKey} {
		t.Run(fmt.Sprintf("%T", key.Public()), func(t *testing.T) {
			body, err := sign(key, "", "n", "https://ca/revoke-cert", []byte(`{}`))
			require.NoError(t, err)
			var jws flattened
			require.NoError(t, json.Unmarshal(body, &jws))
			hdrJSON, err := base64.RawURLEncoding.DecodeString(jws.Protected)
			require.NoError(t, err)
			var raw map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(hdrJSON, &raw))
			assert.NotContains(t, raw, "kid")
			var hdr protected
			require.NoError(t, json.Unmarshal(hdrJSON, &hdr))
			require.NotNil(t, hdr.JWK)

			want, err := acme.JWKThumbprint(key.Public())
			require.NoError(t, err)
			assert.Equal(t, want, thumbprint(t, hdr.JWK))
		})
	}
}

// thumbprint is RFC 7638's: SHA-256 of the required members in
// lexicographic order, no whitespace.
func thumbprint(t *testing.T, k *jwk) string {
	t.Helper()
	var canon string
	switch k.Kty {
	case "EC":
		canon = fmt.Sprintf(`{"crv":%q,"kty":"EC","x":%q,"y":%q}`, k.Crv, k.X, k.Y)
	case "RSA":
		canon = fmt.Sprintf(`{"e":%q,"kty":"RSA","n":%q}`, k.E, k.N)
	default:
		t.Fatalf("kty %q", k.Kty)
	}
	sum := sha256.Sum256([]byte(canon))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
