package certflow

import (
	"crypto/ecdsa"
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/store/memory"
)

// The Secret a Manager issues is served with its private key unparsed
// (checked against the leaf before it was written) until a handshake
// signs with it, which then succeeds: a parsed key costs several times
// its DER for each of 100,000 certificates, most of which no handshake
// needs soon (docs/memory.md).
func TestIssuedSecretKeyParsedAtFirstHandshake(t *testing.T) {
	ctx := testrig.Context(t)
	m, err := New(Config{Store: tlsSecretsUnwatched(memory.New()), Clock: clock.Real{}})
	require.NoError(t, err)
	testrig.Run(t, ctx, 10*time.Second, m.Run)
	require.NoError(t, m.Apply(ctx, testrig.CASecret(t, "default", "ca-key", time.Now())))
	require.NoError(t, m.Apply(ctx, testrig.CAIssuer("default", "ca", "ca-key")))
	require.NoError(t, m.Apply(ctx, testrig.Certificate("default", "web", "ca", "web.example.test")))
	require.NoError(t, m.WaitReady(ctx, testrig.CertRef("default", "web")))

	served, err := m.GetCertificate(&tls.ClientHelloInfo{ServerName: "web.example.test"})
	require.NoError(t, err)
	_, parsed := served.PrivateKey.(*ecdsa.PrivateKey)
	assert.False(t, parsed, "the key is not parsed before a handshake needs it")

	sc, cc := net.Pipe()
	defer sc.Close()
	defer cc.Close()
	done := make(chan error, 1)
	go func() { done <- tls.Server(sc, m.TLSConfig()).Handshake() }()
	require.NoError(t, tls.Client(cc, &tls.Config{ServerName: "web.example.test", InsecureSkipVerify: true}).Handshake())
	require.NoError(t, <-done)
	assert.True(t, quietServes(m, "web.example.test"), "still served after its key was used")
}
