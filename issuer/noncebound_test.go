package issuer

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/reconcile"
)

// The nonce pools keep whatever Replay-Nonce the CA sends: the clients an
// issuer uses, its account's and the revocation's own, drop one longer
// than maxNonceLen before any pool sees it, and keep an ordinary one.
func TestClients_DropHugeNonces(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := 43
		if r.URL.Path == "/huge" {
			n = 1 << 20
		}
		w.Header().Set("Replay-Nonce", strings.Repeat("n", n))
	}))
	t.Cleanup(srv.Close)
	c := NewACMEClients(reconcile.Deps{}, Options{HTTPClient: srv.Client()})
	a := &ACMEIssuer{Server: srv.URL + "/dir"}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	account, err := c.build(a, key, "", clientKey{})
	require.NoError(t, err)
	anon, closeIdle, err := c.anonymous(a)
	require.NoError(t, err)
	t.Cleanup(closeIdle)

	for name, cl := range map[string]*acme.Client{"account": account.client, "anonymous": anon} {
		nonce := func(path string) string {
			req, err := http.NewRequestWithContext(context.Background(), http.MethodHead, srv.URL+path, nil)
			require.NoError(t, err)
			res, err := cl.HTTPClient.Do(req)
			require.NoError(t, err)
			_ = res.Body.Close()
			return res.Header.Get("Replay-Nonce")
		}
		assert.Len(t, nonce("/small"), 43, name)
		assert.Zero(t, len(nonce("/huge")), name)
	}
}
