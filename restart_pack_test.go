package certflow

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// A start's list holds each Secret serving preloaded at the listed version
// packed (listedPacker), and its visits read it as the Store holds it.
func TestRestartHoldsTheServedSecretsPacked(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	raw, stored, m, packer := restartedOnSecrets(t, ctx, 3)
	packed := 0
	for _, s := range stored {
		if held, ok := heldPacked(m, packer, s.Ref); ok {
			packed++
			assert.Less(t, len(held.Data), len(s.Data), "%s held packed", s.Ref)
		}
		want, got := &secret.Secret{}, &secret.Secret{}
		require.NoError(t, raw.Get(ctx, s.Ref, want))
		require.NoError(t, m.listed.Get(m.listed.visit(ctx), s.Ref, got))
		assert.Equal(t, want, got, "%s as the Store holds it", s.Ref)
	}
	assert.GreaterOrEqual(t, packed, 3, "each certificate's Secret, served, is held packed")
}

// The sweep judges a packed Secret whose owners are gone by its bytes: a
// next private key (which serving would serve, holding a certificate) is
// collected at the start, as its rule says.
func TestSweepJudgesAPackedSecretByItsBytes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	raw, _, _ := issuedRig(t, ctx, 2)
	s := &secret.Secret{}
	require.NoError(t, raw.Get(ctx, meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "c1-tls"}, s))
	orphan := &secret.Secret{
		ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "gone-next-key",
			Labels:    map[string]string{certificate.LabelNextPrivateKey: "true"},
			OwnerRefs: []meta.Ref{{Kind: meta.KindCertificate, Namespace: "ns", Name: "gone"}}},
		Type: s.Type, Data: s.Data,
	}
	require.NoError(t, raw.Create(ctx, orphan))

	m := resynced(t, ctx, raw, false)
	assert.NotNil(t, m.listed.packer.Load(), "the list packed the Secrets served")
	err := raw.Get(ctx, meta.RefOf(orphan), &secret.Secret{})
	assert.ErrorIs(t, err, store.ErrNotFound, "the orphaned next key is collected at the start")
}

// heldPacked returns what m's list holds for ref, and whether packer
// packed it.
func heldPacked(m *Manager, packer *listedPacker, ref meta.Ref) (store.Raw, bool) {
	m.listed.mu.Lock()
	defer m.listed.mu.Unlock()
	held, _, _ := m.listed.items.get(ref)
	return held, bytes.HasPrefix(held.Data, packer.tag[:])
}

// restartedOnSecrets issues n certificates, then starts a Manager on their
// Store as a restart does: it returns the Store, its Secrets as listed, the
// Manager and the packer of its start's list.
func restartedOnSecrets(t *testing.T, ctx context.Context, n int) (*memory.Store, []store.Raw, *Manager, *listedPacker) {
	t.Helper()
	raw, _, _ := issuedRig(t, ctx, n)
	stored, err := raw.List(ctx, store.ListOptions{Kind: meta.KindSecret})
	require.NoError(t, err)
	m := resynced(t, ctx, raw, false)
	packer := m.listed.packer.Load()
	require.NotNil(t, packer)
	return raw, stored.Items, m, packer
}
