package certflow

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// The chain check before a CA step reads the Store itself, not the list a
// replica started with: a Certificate in replica B's start-up list, then
// deleted in the Store (by replica A) before B's step, is gone, although
// the list would still answer it as present.
func TestOwnersStand_ReadsTheStoreNotTheStartUpList(t *testing.T) {
	ctx := testrig.Context(t)
	st := memory.New()
	m, err := New(Config{Store: st}) // not run: the test loads its list
	require.NoError(t, err)
	cert := testrig.Certificate("default", "web", "ca", "web.example.test")
	require.NoError(t, st.Create(ctx, cert))
	req := &request.CertificateRequest{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "web-1",
		OwnerRefs: []meta.Ref{meta.RefOf(cert)}}}
	require.NoError(t, st.Create(ctx, req))
	ord := &order.Order{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "web-1-a",
		OwnerRefs: []meta.Ref{meta.RefOf(req)}}}
	require.NoError(t, st.Create(ctx, ord))
	res, err := st.List(ctx, store.ListOptions{})
	require.NoError(t, err)
	m.listed.load(res.Items, nil) // B's start-up list holds the Certificate

	require.NoError(t, st.Delete(ctx, meta.RefOf(cert), "")) // A deletes it

	visit := m.listed.visit(ctx)
	got := &order.Order{}
	require.NoError(t, m.listed.Get(visit, meta.RefOf(ord), got), "B's visit reads its Order")
	err = m.ownersStand(visit, got)
	require.ErrorIs(t, err, reconcile.ErrOwnerGone, "the step is refused: the Certificate is gone in the Store")
	gone, ok := errors.AsType[*reconcile.OwnerGoneError](err)
	require.True(t, ok)
	assert.Equal(t, meta.RefOf(cert), gone.Owner)
	assert.Equal(t, meta.RefOf(req), gone.Of)
}
