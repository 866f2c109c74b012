package issuer

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
)

// A 503 naming a Retry-After (the CA down for maintenance) holds every
// request of the account until then, as a 429 does: the account's other
// orders and challenges would otherwise each meet the outage, one request
// and one backoff at a time.
func TestAccountGate_UnavailableWithRetryAfterHoldsTheAccount(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if hits.Add(1) == 1 {
			w.Header().Set("Retry-After", "60")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	clk := clock.NewFake(time.Unix(1e9, 0))
	g := newAccountGate(clk, 2)
	var held atomic.Int32
	g.onHold = func() { held.Add(1) }
	hc := &http.Client{Transport: g.transport(http.DefaultTransport)}
	get := func() *http.Response {
		res, err := hc.Get(srv.URL)
		require.NoError(t, err)
		_ = res.Body.Close()
		return res
	}

	assert.Equal(t, http.StatusServiceUnavailable, get().StatusCode, "the CA's own answer reaches its caller")
	assert.Equal(t, int32(1), held.Load(), "the hold is announced, so the issuer's status records it")
	clk.Advance(59 * time.Second)
	res := get()
	assert.Equal(t, http.StatusTooManyRequests, res.StatusCode, "answered locally")
	assert.Equal(t, "1", res.Header.Get("Retry-After"), "the remaining wait")
	assert.Equal(t, int32(1), hits.Load(), "nothing reached the CA inside the window")

	clk.Advance(time.Second)
	assert.Equal(t, http.StatusOK, get().StatusCode)
	assert.Equal(t, int32(2), hits.Load())
}

// A 503 without a Retry-After (an outage of unknown length) or with one
// already past holds nothing: each request keeps its own backoff, and the
// next goes to the CA.
func TestAccountGate_UnavailableWithoutAWaitHoldsNothing(t *testing.T) {
	for name, retryAfter := range map[string]string{"none": "", "zero": "0", "malformed": "soon", "past date": "Sun, 06 Nov 1994 08:49:37 GMT"} {
		t.Run(name, func(t *testing.T) {
			var hits atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				hits.Add(1)
				if retryAfter != "" {
					w.Header().Set("Retry-After", retryAfter)
				}
				w.WriteHeader(http.StatusServiceUnavailable)
			}))
			defer srv.Close()
			g := newAccountGate(clock.NewFake(time.Unix(1e9, 0)), 2)
			var held atomic.Int32
			g.onHold = func() { held.Add(1) }
			hc := &http.Client{Transport: g.transport(http.DefaultTransport)}
			for range 2 {
				res, err := hc.Get(srv.URL)
				require.NoError(t, err)
				_ = res.Body.Close()
				assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
			}
			assert.Equal(t, int32(2), hits.Load(), "both requests reached the CA")
			_, _, ok := g.slot("", nil)
			assert.True(t, ok, "the account is not held")
			assert.Zero(t, held.Load(), "no hold announced, so no issuer is reconciled for it")
		})
	}
}
