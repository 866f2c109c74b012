package certflow

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
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

// tlsSecrets returns n Secrets named s0-tls… in namespace default, each
// holding a self-signed leaf for s<i>.example.test (one key for all: the
// names are what is checked).
func tlsSecrets(t *testing.T, n int) []*secret.Secret {
	t.Helper()
	key, err := pki.GenerateKey("ECDSA", 256)
	require.NoError(t, err)
	keyPEM, err := pki.EncodePrivateKey(key, true)
	require.NoError(t, err)
	out := make([]*secret.Secret, n)
	for i := range out {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(int64(i + 1)), DNSNames: []string{fmt.Sprintf("s%d.example.test", i)},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
		der, err := pki.SignCertificate(tmpl, key.Public(), tmpl, key)
		require.NoError(t, err)
		out[i] = &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: fmt.Sprintf("s%d-tls", i)}, Type: secret.TypeTLS,
			Data: map[string][]byte{secret.TLSCertKey: pki.EncodeDER(der), secret.TLSKeyKey: keyPEM}}
	}
	return out
}

// The preload decodes and parses the Secrets on its workers a batch at a
// time: every Secret of every batch, the last one partial, is served when
// it returns, and recorded at its listed version; a broken one and one
// without a certificate are not served.
func TestPreloadServesEveryBatch(t *testing.T) {
	ctx := testrig.Context(t)
	st := memory.New()
	secrets := tlsSecrets(t, 2*preloadBatch+3)
	for _, s := range secrets {
		require.NoError(t, st.Create(ctx, s))
	}
	broken := &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "broken"},
		Data: map[string][]byte{secret.TLSCertKey: []byte("not PEM"), secret.TLSKeyKey: []byte("nor this")}}
	keyOnly := &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "key-only"},
		Data: map[string][]byte{secret.TLSKeyKey: []byte("a key awaiting issuance")}}
	require.NoError(t, st.Create(ctx, broken))
	require.NoError(t, st.Create(ctx, keyOnly))
	m, err := New(Config{Store: st})
	require.NoError(t, err)

	m.wiring.preloadServing(ctx)
	for i, s := range secrets {
		assert.True(t, quietServes(m, fmt.Sprintf("s%d.example.test", i)), "secret %d unserved", i)
		assert.Equal(t, s.ObjectMeta.ResourceVersion, m.wiring.preloaded[meta.RefOf(s)], "secret %d's version", i)
	}
	assert.NotContains(t, m.wiring.preloaded, meta.RefOf(keyOnly), "holds no certificate")
	assert.Len(t, m.wiring.cache.Held(), len(secrets), "only the good Secrets are served")
}

// A Secret decoded into the one a previous decode filled holds only what
// its own data holds: no certificate or key of the one before.
func TestDecodeServingLeavesNothingOfThePrevious(t *testing.T) {
	raw := func(data map[string][]byte) store.Raw {
		b, err := json.Marshal(&secret.Secret{Data: data})
		require.NoError(t, err)
		return store.Raw{Ref: meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "s"}, ResourceVersion: "3", Data: b}
	}
	var s secret.Secret
	var scratch []byte
	require.True(t, decodeServing(raw(map[string][]byte{secret.TLSCertKey: []byte("crt A"), secret.TLSKeyKey: []byte("key A")}), &s, &scratch))
	assert.Equal(t, []byte("crt A"), s.Data[secret.TLSCertKey])
	assert.Equal(t, []byte("key A"), s.Data[secret.TLSKeyKey])

	scratch = scratch[:0]
	require.True(t, decodeServing(raw(map[string][]byte{secret.TLSCertKey: []byte("crt B")}), &s, &scratch))
	assert.Equal(t, []byte("crt B"), s.Data[secret.TLSCertKey])
	assert.NotContains(t, s.Data, secret.TLSKeyKey, "the previous Secret's key")

	scratch = scratch[:0]
	require.True(t, decodeServing(raw(nil), &s, &scratch))
	assert.Empty(t, s.Data, "the previous Secret's certificate")
	assert.Equal(t, "3", s.ObjectMeta.ResourceVersion)
}

// Values decoded into scratch are capped at their length: appending to
// one does not write over the next one decoded after it.
func TestBase64ValueIntoScratchIsCapped(t *testing.T) {
	scratch := make([]byte, 0, 64)
	a, ok := base64Value([]byte(`"YWFh"`), &scratch)
	require.True(t, ok)
	b, ok := base64Value([]byte(`"YmJi"`), &scratch)
	require.True(t, ok)
	_ = append(a, 'x')
	assert.Equal(t, []byte("aaa"), a)
	assert.Equal(t, []byte("bbb"), b)
	// A value larger than what is left starts a new array; the earlier
	// ones keep theirs.
	c, ok := base64Value([]byte(`"`+strings64(100)+`"`), &scratch)
	require.True(t, ok)
	assert.Len(t, c, 75)
	assert.Equal(t, []byte("aaa"), a)
	assert.Equal(t, []byte("bbb"), b)
}

// strings64 is n characters of base64 ("A", zero bits).
func strings64(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'A'
	}
	return string(b)
}
