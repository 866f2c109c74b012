package e2e

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/store"
)

// lieOnceToTheCA answers Pebble's validation of the first token it sees
// with a wrong key authorization, and every later token truthfully.
func lieOnceToTheCA(next http.Handler) http.Handler {
	var mu sync.Mutex
	first := ""
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.Header.Get("User-Agent"), testrig.PebbleVAUserAgent) {
			token := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
			mu.Lock()
			if first == "" {
				first = token
			}
			lie := token == first
			mu.Unlock()
			if lie {
				_, _ = w.Write([]byte("not-the-key-authorization"))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// TestACME_RetryAfterFailure_NewOrderSucceeds fails the first attempt at
// the CA and expects the retry after the backoff to open a new order and
// issue. The RSA default key signs CSRs deterministically, so the retry's
// CSR is byte-identical to the first: the new Order must still be distinct.
func TestACME_RetryAfterFailure_NewOrderSucceeds(t *testing.T) {
	h := startACME(t, acmeSetup{httpWrap: lieOnceToTheCA, config: func(c *certflow.Config) { c.BackoffMin = time.Second }})
	crt := testrig.ACMECertificate("default", "retry", "acme", "retry.example.test")
	crt.Spec.PrivateKey = nil // RSA 2048, cert-manager's default
	require.NoError(t, h.m.Apply(h.ctx, h.acme.Issuer("default", "acme")))
	require.NoError(t, h.m.Apply(h.ctx, crt))
	require.NoError(t, h.m.WaitReady(h.ctx, meta.RefOf(crt), certflow.WaitThroughFailures()), "issued by the retry")
	c := &certificate.Certificate{}
	require.NoError(t, h.m.Get(h.ctx, meta.RefOf(crt), c))

	assert.Equal(t, 1, *c.Status.Revision)
	assert.Nil(t, c.Status.FailedIssuanceAttempts, "success clears the failure count")
	assert.Equal(t, 2, h.acme.OrderCount(), "the retry opened a second order")
	h.awaitStore("the failed attempt's order is collected with its request", func() bool {
		orders, err := store.ListOf[order.Order](h.ctx, h.st, store.ListOptions{Kind: meta.KindOrder, Namespace: "default"})
		require.NoError(t, err)
		return len(orders) == 1
	})
}
