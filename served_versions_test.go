package certflow

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

func TestServedVersions_CoverTheirOwnAndOlderEvents(t *testing.T) {
	var s servedVersions
	ref := meta.Ref{Kind: meta.KindChallenge, Namespace: "ns", Name: "c"}
	assert.False(t, s.covers(ref, "3"), "nothing written")
	s.record(ref, "5")
	s.record(ref, "4") // an older write ending late changes nothing
	assert.True(t, s.covers(ref, "3"), "an older version: the cache holds a newer one")
	assert.False(t, s.covers(ref, "6"), "a newer version someone else wrote")
	assert.True(t, s.covers(ref, "5"), "the version written")
	assert.False(t, s.covers(ref, "5"), "forgotten once its event came")
	s.record(ref, "7")
	s.forget(ref)
	assert.False(t, s.covers(ref, "7"), "deleted")
	s.record(ref, "8")
	s.reset()
	assert.False(t, s.covers(ref, "8"), "re-listed")
	s.record(ref, "not a number")
	assert.False(t, s.covers(ref, "not a number"))
}

// A Challenge the reconcilers store is served at once, as stored, and the
// watch event of that write serves it without reading it back; a version
// written by someone else is read as before.
func TestChallengeWrites_ServedAtOnceAndNotReadBack(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	reads := 0
	st := storecount.New(memory.New(), storecount.WithObserver(func(op storecount.Op, ref meta.Ref) {
		if op == storecount.Get && ref.Kind == meta.KindChallenge {
			mu.Lock()
			reads++
			mu.Unlock()
		}
	}))
	m, err := New(Config{Store: st})
	require.NoError(t, err)
	writes := m.wiring.challengeDeps().Store
	ch := &challenge.Challenge{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "o-c"},
		Spec: challenge.Spec{DNSName: "a.example.test", Type: solver.HTTP01, Token: testTokenGC, Key: testTokenGC + ".thumb"}}
	require.NoError(t, writes.Create(ctx, ch))
	created := ch.ObjectMeta
	ch.Status.Processing, ch.Status.Presented = true, true
	require.NoError(t, writes.Update(ctx, ch))
	ka, _, ok := m.wiring.cache.KeyAuthorization(testTokenGC)
	require.True(t, ok, "served as soon as stored presented")
	assert.Equal(t, ch.Spec.Key, ka)

	m.wiring.observeServing(ctx, store.WatchEvent{Type: store.Added, Ref: meta.RefOf(ch), Meta: created})
	m.wiring.observeServing(ctx, store.WatchEvent{Type: store.Modified, Ref: meta.RefOf(ch), Meta: ch.ObjectMeta})
	mu.Lock()
	assert.Zero(t, reads, "the events of its own writes read nothing back")
	mu.Unlock()

	// Cleaned up by someone else: read, and no longer served.
	other := *ch
	other.Status.CleanedUp, other.Status.Presented = true, false
	require.NoError(t, st.Update(ctx, &other))
	m.wiring.observeServing(ctx, store.WatchEvent{Type: store.Modified, Ref: meta.RefOf(ch), Meta: other.ObjectMeta})
	mu.Lock()
	assert.Equal(t, 1, reads, "another writer's version is read")
	mu.Unlock()
	_, _, ok = m.wiring.cache.KeyAuthorization(testTokenGC)
	assert.False(t, ok, "cleaned up: not served")
}

// So are the Secrets the certificate reconciler stores: the watch events
// of its writes (a next key, a certificate) read nothing back.
func TestServingWrites_SecretsNotReadBack(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	reads := 0
	st := storecount.New(memory.New(), storecount.WithObserver(func(op storecount.Op, ref meta.Ref) {
		if op == storecount.Get && ref.Kind == meta.KindSecret {
			mu.Lock()
			reads++
			mu.Unlock()
		}
	}))
	m, err := New(Config{Store: st})
	require.NoError(t, err)
	writes := m.wiring.servingDeps().Store
	next := &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "web-next-private-key"},
		Data: map[string][]byte{secret.TLSKeyKey: []byte("not served")}}
	require.NoError(t, writes.Create(ctx, next))
	tlsSecret := testrig.CASecret(t, "ns", "web-tls", time.Now())
	require.NoError(t, writes.Create(ctx, tlsSecret))
	for _, s := range []*secret.Secret{next, tlsSecret} {
		m.wiring.observeServing(ctx, store.WatchEvent{Type: store.Added, Ref: meta.RefOf(s), Meta: s.ObjectMeta})
	}
	mu.Lock()
	assert.Zero(t, reads, "the events of its own writes read nothing back")
	mu.Unlock()
	assert.Contains(t, m.wiring.cache.Held(), meta.RefOf(tlsSecret), "served as stored")
}
