package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// testGetMetaMatchesGet: GetMetaOf (through the store's GetMeta when it
// has one) returns the metadata Get decodes, of the stored version, owned
// by the caller; and ErrNotFound for what is not stored.
func testGetMetaMatchesGet(ctx context.Context, t *testing.T, h *harness) {
	owner := meta.Ref{Kind: KindWidget, Namespace: "a", Name: "parent"}
	w := NewWidget("a", "child", map[string]string{"k": "1"})
	w.Metadata.OwnerRefs = []meta.Ref{owner}
	w.Metadata.Labels = map[string]string{"app": "child"}
	w.Metadata.Annotations = map[string]string{"note": "x"}
	h.create(ctx, t, w)
	updated := h.get(ctx, t, NewWidget("a", "child", nil))
	updated.Data["k"] = "2"
	updated.Metadata.Labels["app"] = "moved"
	require.NoError(t, h.s.Update(ctx, updated))

	newWidget := func() meta.Object { return &Widget{} }
	got, err := store.GetMetaOf(ctx, h.s, updated.Ref(), newWidget)
	require.NoError(t, err)
	want := h.get(ctx, t, NewWidget("a", "child", nil)).Metadata
	assert.Equal(t, want, got)
	assert.Equal(t, updated.Metadata.ResourceVersion, got.ResourceVersion, "the stored version")

	got.Labels["app"], got.OwnerRefs[0].Name = "mine", "mine"
	again, err := store.GetMetaOf(ctx, h.s, updated.Ref(), newWidget)
	require.NoError(t, err)
	assert.Equal(t, want, again, "the metadata read is the caller's own")

	_, err = store.GetMetaOf(ctx, h.s, meta.Ref{Kind: KindWidget, Namespace: "a", Name: "missing"}, newWidget)
	assert.ErrorIs(t, err, store.ErrNotFound)
}
