package e2e

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// TestWorkCounter_CountsByOperationAndKind: the benchmark's Store calls
// per certificate are named by operation and kind, the issuance path's
// kinds and any other alike, and take starts over.
func TestWorkCounter_CountsByOperationAndKind(t *testing.T) {
	ctx := context.Background()
	w := newWorkCounter(memory.New())
	sec := &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "s"}}
	require.NoError(t, w.store.Create(ctx, sec))
	require.NoError(t, w.store.Get(ctx, meta.RefOf(sec), &secret.Secret{}))
	require.NoError(t, w.store.Get(ctx, meta.RefOf(sec), &secret.Secret{}))
	_, err := w.store.List(ctx, store.ListOptions{Kind: meta.KindSecret})
	require.NoError(t, err)
	other := meta.Ref{Kind: "Replica", Namespace: "ns", Name: "r"}
	assert.ErrorIs(t, w.store.Get(ctx, other, &secret.Secret{}), store.ErrNotFound)
	assert.Equal(t, map[string]int{"create Secret": 1, "get Secret": 2, "list": 1, "get Replica": 1}, w.take())
	assert.Empty(t, w.take(), "take starts over")
}
