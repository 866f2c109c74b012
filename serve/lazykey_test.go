package serve

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/testrig"

	"github.com/certflow/certflow/secret"
)

// TestApplyParsesKeyAtFirstHandshake: Apply leaves tls.key unparsed, the
// first handshake parses it and signs with it, and later ones reuse it.
func TestApplyParsesKeyAtFirstHandshake(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ca := newTestCA(t)
	c := NewCache(Options{})
	require.NoError(t, c.Apply([]*secret.Secret{ca.secretFor(t, "ns", "web", leaf{dns: []string{"a.example"}})}, nil))
	served := mustGet(t, c, "a.example")
	key, ok := served.PrivateKey.(*lazyKey)
	require.True(t, ok, "Apply defers the key, got %T", served.PrivateKey)
	assert.NotNil(t, key.keyDER, "not parsed at load")
	assert.Nil(t, served.Leaf, "the index keeps no parsed leaf")

	addr := echoServer(t, c.TLSConfig())
	for i := range 2 {
		conn := dial(ctx, t, addr, &tls.Config{RootCAs: ca.pool, ServerName: "a.example"})
		require.NoError(t, conn.HandshakeContext(ctx), "handshake %d", i)
		echo(t, conn, "hello")
	}
	signer, err := key.load()
	require.NoError(t, err)
	assert.IsType(t, &ecdsa.PrivateKey{}, signer)
	assert.Nil(t, key.keyDER, "the DER is dropped once parsed")
	assert.Zero(t, c.InvalidKeys())
	assert.Same(t, served, mustGet(t, c, "a.example"))
}

// TestApplyDropsUnusableKeyAtFirstHandshake: a key Apply could not check
// at load that turns out unusable signs nothing: the handshake fails, the
// Secret is logged (without its key), counted and no longer served, and
// its name falls back to the next best certificate.
func TestApplyDropsUnusableKeyAtFirstHandshake(t *testing.T) {
	ca := newTestCA(t)
	_, otherKey := ca.issue(t, leaf{dns: []string{"other.example"}})
	tests := []struct {
		name string
		key  []byte
	}{
		{"key of another certificate", otherKey},
		{"garbage in a key block", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("garbage")})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var logs testrig.Buffer
			c := NewCache(Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			fallback := ca.secretFor(t, "ns", "old", leaf{dns: []string{"a.example"}, notAfter: time.Now().Add(time.Hour)})
			newer := ca.secretFor(t, "ns", "new", leaf{dns: []string{"a.example"}, notAfter: time.Now().Add(20 * time.Hour)})
			newer.Data[secret.TLSKeyKey] = tt.key
			require.NoError(t, c.Apply([]*secret.Secret{fallback, newer}, nil), "the key is not parsed at load")
			broken := mustGet(t, c, "a.example")
			assert.Equal(t, leafDER(t, newer), broken.Certificate[0], "the later NotAfter is served until its key is used")

			addr := echoServer(t, c.TLSConfig())
			d := tls.Dialer{Config: &tls.Config{RootCAs: ca.pool, ServerName: "a.example"}}
			conn, err := d.DialContext(ctx, "tcp", addr)
			if err == nil {
				_ = conn.Close()
			}
			require.Error(t, err, "no handshake completes with an unusable key")

			assert.Equal(t, uint64(1), c.InvalidKeys())
			assert.Equal(t, leafDER(t, fallback), mustGet(t, c, "a.example").Certificate[0], "the name falls back")
			assert.Nil(t, c.certs.secrets.get(secretRef("ns", "new")))
			log := logs.String()
			assert.Contains(t, log, "level=WARN")
			assert.Contains(t, log, "name=new")
			assert.Contains(t, log, ErrInvalidSecret.Error())
			assert.Contains(t, log, `unusable="private key"`, "the log blames the key")
			assert.NotContains(t, log, string(tt.key), "the key never reaches the log")

			_, err = broken.PrivateKey.(*lazyKey).Sign(rand.Reader, make([]byte, sha256.Size), crypto.SHA256)
			require.ErrorIs(t, err, ErrInvalidSecret)
			assert.NotContains(t, err.Error(), string(tt.key))

			ok := dial(ctx, t, addr, &tls.Config{RootCAs: ca.pool, ServerName: "a.example"})
			require.NoError(t, ok.HandshakeContext(ctx), "the fallback is served")
			assert.Equal(t, leafDER(t, fallback), ok.ConnectionState().PeerCertificates[0].Raw)
		})
	}
}

// TestApplyRefusesKeyWithoutKeyBlock: what can be checked without parsing
// the key is checked at load, as PutSecret would.
func TestApplyRefusesKeyWithoutKeyBlock(t *testing.T) {
	ca := newTestCA(t)
	s := ca.secretFor(t, "ns", "web", leaf{dns: []string{"a.example"}})
	s.Data[secret.TLSKeyKey] = s.Data[secret.TLSCertKey]
	c := NewCache(Options{})
	err := c.Apply([]*secret.Secret{s}, nil)
	require.ErrorIs(t, err, ErrInvalidSecret)
	assert.Contains(t, err.Error(), "ns/web")
	_, err = c.GetCertificate(hello("a.example"))
	assert.ErrorIs(t, err, ErrUnknownName)
}

// leafDER is the DER of the first certificate of s's tls.crt.
func leafDER(t *testing.T, s *secret.Secret) []byte {
	t.Helper()
	b, _ := pem.Decode(s.Data[secret.TLSCertKey])
	require.NotNil(t, b)
	return b.Bytes
}

// TestApplyDeferredKeyEncodings: the key blocks tls.X509KeyPair accepts
// are accepted when parsed late too, whatever their PEM type, and sign a
// handshake: SEC 1 ("EC PRIVATE KEY") and PKCS #1 RSA ("RSA PRIVATE KEY").
func TestApplyDeferredKeyEncodings(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ca := newTestCA(t)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	sec1, err := x509.MarshalECPrivateKey(ecKey)
	require.NoError(t, err)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	tests := []struct {
		name  string
		key   crypto.Signer
		block *pem.Block
	}{
		{"sec1", ecKey, &pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}},
		{"pkcs1", rsaKey, &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), NotBefore: time.Now().Add(-time.Hour),
				NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"a.example"},
				KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, tt.key.Public(), ca.key)
			require.NoError(t, err)
			c := NewCache(Options{})
			require.NoError(t, c.Apply([]*secret.Secret{tlsSecret("ns", "web",
				pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(tt.block))}, nil))
			conn := dial(ctx, t, echoServer(t, c.TLSConfig()), &tls.Config{RootCAs: ca.pool, ServerName: "a.example"})
			require.NoError(t, conn.HandshakeContext(ctx))
			assert.Zero(t, c.InvalidKeys())
			signer, err := mustGet(t, c, "a.example").PrivateKey.(*lazyKey).load()
			require.NoError(t, err)
			assert.True(t, signer.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(tt.key.Public()))
		})
	}
}
