package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// testListOfMatchesList: ListOf (through the store's ListObjects when it
// has one) returns what List returns, decoded, in List's order; and the
// objects it returns are the caller's (changing one changes nothing
// stored).
func testListOfMatchesList(ctx context.Context, t *testing.T, h *harness) {
	owner := meta.Ref{Kind: KindWidget, Namespace: "a", Name: "parent"}
	for _, w := range []*Widget{
		NewWidget("b", "y", map[string]string{"k": "1"}),
		NewWidget("a", "z", map[string]string{"k": "2"}),
		NewWidget("a", "parent", nil),
		NewWidget("b", "x", map[string]string{"k": "3"}),
	} {
		if w.Metadata.Name != "parent" {
			w.Metadata.OwnerRefs = []meta.Ref{owner}
			w.Metadata.Labels = map[string]string{"app": w.Metadata.Name}
		}
		h.create(ctx, t, w)
	}
	updated := h.get(ctx, t, NewWidget("a", "z", nil))
	updated.Data["k"] = "changed"
	require.NoError(t, h.s.Update(ctx, updated))

	for _, opts := range []store.ListOptions{
		{Kind: KindWidget},
		{},
		{Kind: KindWidget, Namespace: "b"},
		{Kind: KindWidget, Labels: map[string]string{"app": "x"}},
		{Kind: KindWidget, Namespace: "a", Owner: &owner},
		{Kind: "Nothing"},
	} {
		res, err := h.s.List(ctx, opts)
		require.NoError(t, err)
		want := make([]*Widget, 0, len(res.Items))
		for _, raw := range res.Items {
			w := &Widget{}
			require.NoError(t, raw.Decode(w))
			want = append(want, w)
		}
		got, err := store.ListOf[Widget](ctx, h.s, opts)
		require.NoError(t, err)
		assert.Equal(t, want, got, "%+v", opts)
	}

	got, err := store.ListOf[Widget](ctx, h.s, store.ListOptions{Kind: KindWidget, Namespace: "a", Owner: &owner})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "changed", got[0].Data["k"], "the stored version is listed")
	got[0].Data["k"] = "mine"
	got[0].Metadata.Labels["app"] = "mine"
	again := h.get(ctx, t, NewWidget("a", "z", nil))
	assert.Equal(t, "changed", again.Data["k"], "a listed object is the caller's own")
	assert.Equal(t, "z", again.Metadata.Labels["app"], "a listed object is the caller's own")
}
