package certflow

import (
	"crypto/tls"
	"net"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store/memory"
)

// A stored Secret whose key is not its certificate's is served from a
// start (keys are parsed at their first handshake), but that handshake
// fails, the name stops being served and the metric counts it.
func TestStartDropsSecretWithUnusableKeyAtFirstHandshake(t *testing.T) {
	ctx := testrig.Context(t)
	raw := memory.New()
	broken := tlsSecret(t, "broken-tls", "broken.example.test")
	broken.Data[secret.TLSKeyKey] = tlsSecret(t, "other", "other.example.test").Data[secret.TLSKeyKey]
	require.NoError(t, raw.Create(ctx, broken))
	m, err := New(Config{Store: raw})
	require.NoError(t, err)
	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(m.Metrics()))
	_, err = m.resync(ctx)
	require.NoError(t, err)
	_, err = m.GetCertificate(&tls.ClientHelloInfo{ServerName: "broken.example.test"})
	require.NoError(t, err, "served until a handshake needs its key")

	sc, cc := net.Pipe()
	defer sc.Close()
	defer cc.Close()
	done, clientDone := make(chan error, 1), make(chan struct{})
	go func() { done <- tls.Server(sc, m.TLSConfig()).Handshake() }()
	go func() {
		defer close(clientDone)
		_ = tls.Client(cc, &tls.Config{ServerName: "broken.example.test", InsecureSkipVerify: true}).Handshake()
	}()
	require.Error(t, <-done, "no handshake completes with a key that is not the certificate's")
	_ = sc.Close()
	<-clientDone

	assert.False(t, quietServes(m, "broken.example.test"), "no longer served")
	_, counts := samples(t, reg, "certflow_serving_invalid_keys_total")
	assert.Equal(t, map[string]float64{"{}": 1}, counts)
}
