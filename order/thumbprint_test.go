package order

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"runtime"
	"testing"
	"weak"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"
)

func newKeyClient(t testing.TB) *acme.Client {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return &acme.Client{Key: k}
}

// TestThumbprints_PerClientWithoutAllocating: each client gets its own
// key's thumbprint, and asking again for a client costs no allocation.
func TestThumbprints_PerClientWithoutAllocating(t *testing.T) {
	var th thumbprints
	a, b := newKeyClient(t), newKeyClient(t)
	for _, cl := range []*acme.Client{a, b, a, b} {
		want, err := acme.JWKThumbprint(cl.Key.Public())
		require.NoError(t, err)
		got, err := th.of(cl)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	assert.Zero(t, testing.AllocsPerRun(100, func() { _, _ = th.of(a) }))
}

// TestThumbprints_KeepNoClientAlive: a client (and its private key) that
// nothing else holds is collected although its thumbprint is kept.
func TestThumbprints_KeepNoClientAlive(t *testing.T) {
	var th thumbprints
	cl := newKeyClient(t)
	_, err := th.of(cl)
	require.NoError(t, err)
	w := weak.Make(cl.Key.(*ecdsa.PrivateKey))
	cl = nil
	runtime.GC()
	runtime.GC()
	assert.Nil(t, w.Value(), "the account key outlived its client")
	runtime.KeepAlive(&th) // the memo itself stays in use
}

// TestThumbprints_Bounded: past the limit, collected clients' entries go.
func TestThumbprints_Bounded(t *testing.T) {
	var th thumbprints
	for range 3 * thumbprintsLimit {
		_, err := th.of(newKeyClient(t))
		require.NoError(t, err)
	}
	assert.LessOrEqual(t, len(th.m), thumbprintsLimit)
}

// BenchmarkThumbprint: an Order visit's thumbprint, kept (memo) against
// computed as before (direct).
func BenchmarkThumbprint(b *testing.B) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(b, err)
	cl := &acme.Client{Key: k}
	var th thumbprints
	b.Run("memo", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = th.of(cl)
		}
	})
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = acme.JWKThumbprint(cl.Key.Public())
		}
	})
}
