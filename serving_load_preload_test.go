package certflow

import (
	"context"
	"crypto/x509"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// beforeFullList calls hook before every List of the whole Store.
type beforeFullList struct {
	store.Store
	hook func()
}

func (s *beforeFullList) List(ctx context.Context, opts store.ListOptions) (store.ListResult, error) {
	if opts.Kind == "" && opts.Namespace == "" {
		s.hook()
	}
	return s.Store.List(ctx, opts)
}

// tlsSecret is a Secret holding a self-signed leaf for dnsName and its key.
func tlsSecret(t *testing.T, name, dnsName string) *secret.Secret {
	t.Helper()
	key, err := pki.GenerateKey("ECDSA", 256)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), DNSNames: []string{dnsName},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := pki.SignCertificate(tmpl, key.Public(), tmpl, key)
	require.NoError(t, err)
	keyPEM, err := pki.EncodePrivateKey(key, true)
	require.NoError(t, err)
	return &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: name}, Type: secret.TypeTLS,
		Data: map[string][]byte{secret.TLSCertKey: pki.EncodeDER(der), secret.TLSKeyKey: keyPEM}}
}

// A starting Manager serves the stored Secrets before it lists everything
// else; what changes before that list is taken into account by it.
func TestStartServesSecretsBeforeTheFullList(t *testing.T) {
	ctx := testrig.Context(t)
	raw := memory.New()
	a, b := tlsSecret(t, "a-tls", "a.example.test"), tlsSecret(t, "b-tls", "b.example.test")
	require.NoError(t, raw.Create(ctx, a))
	require.NoError(t, raw.Create(ctx, b))
	st := &beforeFullList{Store: raw}
	m, err := New(Config{Store: st})
	require.NoError(t, err)

	lists := 0
	st.hook = func() {
		lists++
		assert.True(t, quietServes(m, "a.example.test"), "served before the full list")
		assert.True(t, quietServes(m, "b.example.test"), "served before the full list")
		// Changes between the Secrets' list and the full one.
		require.NoError(t, raw.Delete(ctx, meta.RefOf(a), ""))
		renewed := tlsSecret(t, "b-tls", "c.example.test")
		renewed.ObjectMeta.ResourceVersion = b.ObjectMeta.ResourceVersion
		require.NoError(t, raw.Update(ctx, renewed))
	}
	_, err = m.resync(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, lists)
	assert.False(t, quietServes(m, "a.example.test"), "deleted before the full list")
	assert.False(t, quietServes(m, "b.example.test"), "replaced before the full list")
	assert.True(t, quietServes(m, "c.example.test"), "its new version")

	// A re-list (after a compacted watch) does not preload again.
	st.hook = func() { lists++ }
	_, err = m.resync(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, lists)
	assert.Nil(t, m.wiring.preloaded)
}
