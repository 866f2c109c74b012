package certflow

import (
	"crypto/tls"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// tlsSecretsUnwatched: a Manager's watch that has not reached TLS Secrets
// (named *-tls) yet.
func tlsSecretsUnwatched(st store.Store) store.Store {
	return testrig.Unwatched(st, func(ev store.WatchEvent) bool {
		return ev.Ref.Kind == meta.KindSecret && strings.HasSuffix(ev.Ref.Name, "-tls")
	})
}

// The Manager that issues a certificate serves it before the Certificate
// says Ready, whatever its watch has delivered: a client connecting as soon
// as WaitReady returns gets the new certificate.
func TestIssuedSecretServedBeforeReady(t *testing.T) {
	ctx := testrig.Context(t)
	st := memory.New()
	m, err := New(Config{Store: tlsSecretsUnwatched(st), Clock: clock.Real{}})
	require.NoError(t, err)
	testrig.Run(t, ctx, 10*time.Second, m.Run)

	require.NoError(t, m.Apply(ctx, testrig.CASecret(t, "default", "ca-key", time.Now())))
	require.NoError(t, m.Apply(ctx, testrig.CAIssuer("default", "ca", "ca-key")))
	require.NoError(t, m.Apply(ctx, testrig.Certificate("default", "web", "ca", "web.example.test")))
	require.NoError(t, m.WaitReady(ctx, testrig.CertRef("default", "web")))

	cert, err := m.GetCertificate(&tls.ClientHelloInfo{ServerName: "web.example.test"})
	require.NoError(t, err, "the name is served once its Certificate is Ready")
	leaf, err := x509.ParseCertificate(cert.Certificate[0]) // served certificates carry no parsed Leaf
	require.NoError(t, err)
	require.NoError(t, leaf.VerifyHostname("web.example.test"))
}
