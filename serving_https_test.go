package certflow

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ServeTLS serves the Manager's certificates until its context ends, then
// returns nil.
func TestServeTLS_ServesUntilCancelled(t *testing.T) {
	m := startIssued(t, "web.example.test")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- m.ServeTLS(ctx, l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, r.Host) }))
	}()
	tr := &http.Transport{TLSClientConfig: &tls.Config{ServerName: "web.example.test", InsecureSkipVerify: true}} //nolint:gosec // the name is checked below
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get("https://" + l.Addr().String() + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, []string{"web.example.test"}, resp.TLS.PeerCertificates[0].DNSNames)
	assert.Equal(t, l.Addr().String(), string(body))
	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("ServeTLS did not return after its context ended")
	}
}
