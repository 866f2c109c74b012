package acmepost

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"
)

// lastPost is a fake ACME server's record of the last POST it was sent.
type lastPost struct {
	mu   sync.Mutex
	url  string
	body []byte
}

// recordingCA serves just enough of RFC 8555 for x/crypto/acme's Register
// and GetOrder, with one fixed nonce, recording each POST.
func recordingCA(t *testing.T, nonce string) (*httptest.Server, *lastPost) {
	last := &lastPost{}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Replay-Nonce", nonce)
		switch r.URL.Path {
		case "/dir":
			_ = json.NewEncoder(w).Encode(map[string]string{"newNonce": srv.URL + "/nonce", "newAccount": srv.URL + "/acct", "newOrder": srv.URL + "/order"})
			return
		case "/nonce":
			return
		}
		body, _ := io.ReadAll(r.Body)
		last.mu.Lock()
		last.url, last.body = srv.URL+r.URL.Path, body
		last.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/acct" {
			w.Header().Set("Location", srv.URL+"/acct/1")
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"status":"valid"}`)
			return
		}
		_, _ = io.WriteString(w, `{"status":"pending","identifiers":[],"authorizations":[],"finalize":"`+srv.URL+`/finalize"}`)
	}))
	t.Cleanup(srv.Close)
	return srv, last
}

// sign writes the JWS x/crypto/acme writes for the same key, account (or
// JWK), nonce, URL and payload: the same protected header byte for byte,
// the same payload, a signature of the same length, and with RSA, whose
// PKCS#1 v1.5 signatures are deterministic, the same body.
func TestSignMatchesXCryptoACME(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	keys := []crypto.Signer{rsaKey}
	for _, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		require.NoError(t, err)
		keys = append(keys, k)
	}
	const nonce = "bm9uY2UtMQ"
	for _, key := range keys {
		srv, last := recordingCA(t, nonce)
		cl := &acme.Client{Key: key, DirectoryURL: srv.URL + "/dir"}
		_, err := cl.Register(context.Background(), &acme.Account{}, acme.AcceptTOS)
		require.NoError(t, err)
		sameAsXCrypto(t, key, "", nonce, last)
		cl.KID = acme.KeyID(srv.URL + "/acct/1")
		_, err = cl.GetOrder(context.Background(), srv.URL+"/order/1")
		require.NoError(t, err)
		sameAsXCrypto(t, key, string(cl.KID), nonce, last)
	}
}

func sameAsXCrypto(t *testing.T, key crypto.Signer, kid, nonce string, last *lastPost) {
	t.Helper()
	last.mu.Lock()
	url, theirs := last.url, last.body
	last.mu.Unlock()
	var them flattened
	require.NoError(t, json.Unmarshal(theirs, &them))
	enc := base64.RawURLEncoding
	payload, err := enc.DecodeString(them.Payload)
	require.NoError(t, err)
	ours, err := sign(key, kid, nonce, url, payload)
	require.NoError(t, err)
	var us flattened
	require.NoError(t, json.Unmarshal(ours, &us))
	require.Equal(t, them.Protected, us.Protected, "protected header")
	require.Equal(t, them.Payload, us.Payload)
	require.Len(t, us.Signature, len(them.Signature))
	if _, ok := key.(*rsa.PrivateKey); ok {
		require.Equal(t, string(theirs), string(ours), "whole body")
	}
}

// fixedSize writes what big.Int's FillBytes writes for each half, for
// integers of every length up to P-521's 66 bytes, into a dirty buffer.
func TestFixedSizeAgreesWithFillBytes(t *testing.T) {
	for size := 1; size <= 66; size++ {
		for range 100 {
			var b [1 + 2*66]byte
			_, err := rand.Read(b[:])
			require.NoError(t, err)
			n := int(b[0]) % (size + 1)
			r, s := new(big.Int).SetBytes(b[1:1+n]), new(big.Int).SetBytes(b[1+n:1+size])
			der, err := asn1.Marshal(struct{ R, S *big.Int }{r, s})
			require.NoError(t, err)
			out := make([]byte, 2*size)
			for i := range out {
				out[i] = 0xEE
			}
			require.True(t, fixedSize(out, der))
			want := make([]byte, 2*size)
			r.FillBytes(want[:size])
			s.FillBytes(want[size:])
			require.Equal(t, want, out, "r %x s %x", r, s)
		}
	}
}

// ES384 and ES512 signatures verify as r‖s of 48 and 66 bytes; a P-521
// half is short of 66 bytes about half the time.
func TestSignVerifiesOnLargerCurves(t *testing.T) {
	for _, c := range []elliptic.Curve{elliptic.P384(), elliptic.P521()} {
		key, err := ecdsa.GenerateKey(c, rand.Reader)
		require.NoError(t, err)
		size := (c.Params().BitSize + 7) / 8
		_, hash, err := algorithm(key)
		require.NoError(t, err)
		for range 30 {
			body, err := sign(key, "kid", "n", "https://ca/x", []byte("{}"))
			require.NoError(t, err)
			var jws flattened
			require.NoError(t, json.Unmarshal(body, &jws))
			sig, err := base64.RawURLEncoding.DecodeString(jws.Signature)
			require.NoError(t, err)
			require.Len(t, sig, 2*size)
			h := hash.New()
			h.Write([]byte(jws.Protected + "." + jws.Payload))
			r, s := new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])
			require.True(t, ecdsa.Verify(&key.PublicKey, h.Sum(nil), r, s), c.Params().Name)
		}
	}
}
