package issuer

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/reconcile"
)

// An account's client keeps the Options client's Timeout, for the headers
// and for the body, without the two goroutines per request a Client.Timeout
// starts over a RoundTripper net/http does not know (the ACME stack).
func TestClients_TimeoutWithoutGoroutines(t *testing.T) {
	entered := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Replay-Nonce", "n")
		if r.URL.Path == "/body" {
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
		}
		entered <- struct{}{}
		select { // held until the client gives up, or long past its timeout
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(srv.Close)
	base := srv.Client()
	base.Timeout = 300 * time.Millisecond
	c := NewACMEClients(reconcile.Deps{}, Options{HTTPClient: base})
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	e, err := c.build(&ACMEIssuer{Server: srv.URL + "/dir"}, key, "", clientKey{})
	require.NoError(t, err)
	hc := e.client.HTTPClient

	type result struct {
		res *http.Response
		err error
	}
	do := func(path string) (<-chan result, string) {
		done := make(chan result, 1)
		go func() {
			res, err := hc.Get(srv.URL + path)
			done <- result{res, err}
		}()
		<-entered
		buf := make([]byte, 1<<20)
		return done, string(buf[:runtime.Stack(buf, true)])
	}

	done, stacks := do("/head")
	for _, f := range []string{"net/http.setRequestCancel", "net/http.awaitLegacyCancel"} {
		assert.False(t, strings.Contains(stacks, f), "%s: a goroutine per request in flight", f)
	}
	start := time.Now()
	r := <-done
	require.Error(t, r.err)
	assert.True(t, errors.Is(r.err, context.DeadlineExceeded) || strings.Contains(r.err.Error(), "Timeout"), "%v", r.err)
	assert.Less(t, time.Since(start), 4*time.Second)

	done, _ = do("/body")
	r = <-done
	require.NoError(t, r.err, "the headers came in time")
	start = time.Now()
	_, err = io.ReadAll(r.res.Body)
	require.Error(t, err, "the body never ends: the timeout must end its read")
	assert.Less(t, time.Since(start), 4*time.Second)
	require.NoError(t, r.res.Body.Close())
}
