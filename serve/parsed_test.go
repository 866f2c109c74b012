package serve

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/secret"
)

// Secrets parsed in batches ahead of ApplyParsed are served when it
// returns, and not before; a broken one is skipped and reported, the rest
// served.
func TestApplyParsedServesEveryBatch(t *testing.T) {
	ca := newTestCA(t)
	c := NewCache(Options{})
	var p1, p2 Parsed
	c.Parse(&p1, []*secret.Secret{ca.secretFor(t, "ns", "a", leaf{dns: []string{"a.example"}})})
	broken := tlsSecret("ns", "broken", []byte("no PEM here"), []byte("nor here"))
	c.Parse(&p2, []*secret.Secret{broken, ca.secretFor(t, "ns", "b", leaf{dns: []string{"b.example"}})})
	_, err := c.GetCertificate(hello("a.example"))
	require.ErrorIs(t, err, ErrUnknownName, "served before ApplyParsed")

	err = c.ApplyParsed(&p1, &p2)
	require.ErrorIs(t, err, ErrInvalidSecret)
	assert.Contains(t, err.Error(), "ns/broken")
	assert.Equal(t, []string{"a.example"}, leafNames(t, mustGet(t, c, "a.example")))
	assert.Equal(t, []string{"b.example"}, leafNames(t, mustGet(t, c, "b.example")))
}

// Of two versions of a Secret, the newer ResourceVersion is served
// whichever batch holds it; without versions, the later one.
func TestApplyParsedOrdersVersions(t *testing.T) {
	ca := newTestCA(t)
	c := NewCache(Options{})
	newer := ca.secretFor(t, "ns", "web", leaf{dns: []string{"new.example"}})
	newer.ObjectMeta.ResourceVersion = "7"
	older := ca.secretFor(t, "ns", "web", leaf{dns: []string{"old.example"}})
	older.ObjectMeta.ResourceVersion = "3"
	var first, second Parsed
	c.Parse(&first, []*secret.Secret{newer})
	c.Parse(&second, []*secret.Secret{older})
	require.NoError(t, c.ApplyParsed(&first, &second))
	mustGet(t, c, "new.example")
	_, err := c.GetCertificate(hello("old.example"))
	assert.ErrorIs(t, err, ErrUnknownName, "an older version replaced the newer one")

	unversioned := NewCache(Options{})
	first, second = Parsed{}, Parsed{}
	unversioned.Parse(&first, []*secret.Secret{ca.secretFor(t, "ns", "web", leaf{dns: []string{"first.example"}})})
	unversioned.Parse(&second, []*secret.Secret{ca.secretFor(t, "ns", "web", leaf{dns: []string{"later.example"}})})
	require.NoError(t, unversioned.ApplyParsed(&first, &second))
	mustGet(t, unversioned, "later.example")
	_, err = unversioned.GetCertificate(hello("first.example"))
	assert.ErrorIs(t, err, ErrUnknownName)
}

// What Parse serves is its own: the caller overwriting the Secrets'
// certificate and key bytes afterwards (as the Manager's preload reuses
// one buffer for every Secret) changes neither the chain served nor the
// key the first handshake parses.
func TestParseKeepsNoneOfTheSecretsBytes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ca := newTestCA(t)
	crt, key := ca.issue(t, leaf{dns: []string{"a.example"}})
	want, err := tls.X509KeyPair(crt, key)
	require.NoError(t, err)
	c := NewCache(Options{})
	var p Parsed
	c.Parse(&p, []*secret.Secret{tlsSecret("ns", "web", crt, key)})
	for _, b := range [][]byte{crt, key} {
		for i := range b {
			b[i] = 'A'
		}
	}
	require.NoError(t, c.ApplyParsed(&p))
	assert.Equal(t, want.Certificate, mustGet(t, c, "a.example").Certificate)

	addr := echoServer(t, c.TLSConfig())
	conn := dial(ctx, t, addr, &tls.Config{RootCAs: ca.pool, ServerName: "a.example"})
	require.NoError(t, conn.HandshakeContext(ctx))
	echo(t, conn, "hello")
	assert.Zero(t, c.InvalidKeys())
}

// A Parsed holds keys that report to the Cache that parsed them: another
// Cache refuses it and serves nothing of it.
func TestApplyParsedRefusesAnotherCachesParse(t *testing.T) {
	ca := newTestCA(t)
	parser, other := NewCache(Options{}), NewCache(Options{})
	var p Parsed
	parser.Parse(&p, []*secret.Secret{ca.secretFor(t, "ns", "web", leaf{dns: []string{"a.example"}})})
	require.Error(t, other.ApplyParsed(&p))
	_, err := other.GetCertificate(hello("a.example"))
	assert.ErrorIs(t, err, ErrUnknownName)
}
