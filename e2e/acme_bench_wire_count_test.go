package e2e

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRequestCounter_CountsConnectionsAndBodies: the benchmark's counter
// tells a client that opens a connection per request from one that keeps
// them, and counts the body bytes each way by kind of request, so two
// contenders' loads on Pebble can be compared beyond their request counts.
func TestRequestCounter_CountsConnectionsAndBodies(t *testing.T) {
	answer := []byte(`{"status":"valid"}`)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = w.Write(answer)
	}))
	defer srv.Close()
	post := func(t *testing.T, cl *http.Client, path string, body []byte) {
		t.Helper()
		res, err := cl.Post(srv.URL+path, "application/jose+json", bytes.NewReader(body))
		require.NoError(t, err)
		_, err = io.Copy(io.Discard, res.Body)
		require.NoError(t, err)
		require.NoError(t, res.Body.Close())
	}

	c := &requestCounter{}
	kept := &http.Client{Transport: c.wrap(srv.Client().Transport)}
	for range 3 {
		post(t, kept, "/authZ/1", []byte("12345"))
	}
	post(t, kept, "/my-order/1", []byte("123"))
	got := c.take()
	assert.Equal(t, 4, got.total)
	assert.Equal(t, map[string]int{"/authZ": 3, "/my-order": 1}, got.byPath)
	assert.Equal(t, int64(1), got.conns, "one connection kept for all four")
	assert.Equal(t, wireCount{requests: 3, sent: 15, received: 3 * int64(len(answer))}, got.wire["/authZ"])
	assert.Equal(t, wireCount{requests: 1, sent: 3, received: int64(len(answer))}, got.wire["/my-order"])

	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true
	fresh := &http.Client{Transport: c.wrap(tr)}
	post(t, fresh, "/authZ/1", nil)
	post(t, fresh, "/authZ/1", nil)
	got = c.take()
	assert.Equal(t, int64(2), got.conns, "a connection per request")
	assert.Equal(t, wireCount{requests: 2, received: 2 * int64(len(answer))}, got.wire["/authZ"])
	assert.Zero(t, c.take().total, "take starts over")
}
