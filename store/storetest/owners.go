package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// A List by owner sees every write at once: an owner added or removed by
// an update, a deletion (a store that indexes owners must keep its index
// with its writes). It matches the owner exactly (kind, namespace and
// name) and still applies the kind, namespace and label filters.
func testListOwnersFollowWrites(ctx context.Context, t *testing.T, h *harness) {
	parent := meta.Ref{Kind: KindWidget, Namespace: "a", Name: "parent"}
	list := func(opts store.ListOptions) []string {
		t.Helper()
		res, err := h.s.List(ctx, opts)
		require.NoError(t, err)
		var out []string
		for _, raw := range res.Items {
			var w Widget
			require.NoError(t, raw.Decode(&w))
			require.Equal(t, raw.Ref, w.Ref())
			assert.Contains(t, w.Metadata.OwnerRefs, *opts.Owner, "listed %s", raw.Ref)
			out = append(out, string(raw.Ref.Kind)+"/"+raw.Ref.Namespace+"/"+raw.Ref.Name)
		}
		return out
	}
	byParent := func() []string { return list(store.ListOptions{Owner: &parent}) }
	owned := func(kind meta.Kind, ns, name string, owners ...meta.Ref) *Widget {
		w := NewWidget(ns, name, nil)
		w.Kind = kind
		w.Metadata.OwnerRefs = owners
		return h.create(ctx, t, w)
	}

	w := owned(KindWidget, "a", "w", nil...)
	assert.Empty(t, byParent(), "not owned yet")

	w = h.get(ctx, t, w)
	w.Metadata.OwnerRefs = []meta.Ref{parent}
	require.NoError(t, h.s.Update(ctx, w))
	assert.Equal(t, []string{"Widget/a/w"}, byParent(), "owner added by update")

	// Owners that differ from parent in one field only own nothing of it.
	owned(KindWidget, "a", "other-name", meta.Ref{Kind: KindWidget, Namespace: "a", Name: "parent2"})
	owned(KindWidget, "b", "other-namespace", meta.Ref{Kind: KindWidget, Namespace: "b", Name: "parent"})
	owned(KindWidget, "a", "other-owner-kind", meta.Ref{Kind: meta.KindIssuer, Namespace: "a", Name: "parent"})
	assert.Equal(t, []string{"Widget/a/w"}, byParent(), "only the exact owner matches")

	// Owned objects of another namespace and another kind, one with two
	// owners; created out of order so the sort is visible.
	owned(meta.KindIssuer, "a", "iss", parent)
	x := owned(KindWidget, "b", "x", meta.Ref{Kind: KindWidget, Namespace: "b", Name: "parent"}, parent)
	x = h.get(ctx, t, x)
	x.Metadata.Labels = map[string]string{"app": "web"}
	require.NoError(t, h.s.Update(ctx, x))
	assert.Equal(t, []string{"Issuer/a/iss", "Widget/a/w", "Widget/b/x"}, byParent(), "every kind, every namespace")
	assert.Equal(t, []string{"Widget/a/w", "Widget/b/x"}, list(store.ListOptions{Kind: KindWidget, Owner: &parent}), "other kind")
	assert.Equal(t, []string{"Issuer/a/iss"}, list(store.ListOptions{Kind: meta.KindIssuer, Owner: &parent}))
	assert.Equal(t, []string{"Issuer/a/iss", "Widget/a/w"}, list(store.ListOptions{Namespace: "a", Owner: &parent}), "other namespace")
	assert.Equal(t, []string{"Widget/b/x"}, list(store.ListOptions{Kind: KindWidget, Namespace: "b", Owner: &parent}))
	assert.Equal(t, []string{"Widget/b/x"}, list(store.ListOptions{Owner: &parent, Labels: map[string]string{"app": "web"}}), "with a label")
	assert.Empty(t, list(store.ListOptions{Kind: "Nothing", Owner: &parent}))
	other := meta.Ref{Kind: KindWidget, Namespace: "b", Name: "parent"}
	assert.Equal(t, []string{"Widget/b/other-namespace", "Widget/b/x"}, list(store.ListOptions{Owner: &other}), "the second owner")

	// An update keeping the owner keeps the object listed; one dropping
	// it, of two owners, drops it from that owner's list only.
	w = h.get(ctx, t, w)
	w.Data = map[string]string{"k": "v"}
	require.NoError(t, h.s.Update(ctx, w))
	x = h.get(ctx, t, x)
	x.Metadata.OwnerRefs = []meta.Ref{other}
	require.NoError(t, h.s.Update(ctx, x))
	assert.Equal(t, []string{"Issuer/a/iss", "Widget/a/w"}, byParent(), "owner removed by update")
	assert.Equal(t, []string{"Widget/b/other-namespace", "Widget/b/x"}, list(store.ListOptions{Owner: &other}))

	require.NoError(t, h.s.Delete(ctx, w.Ref(), ""))
	assert.Equal(t, []string{"Issuer/a/iss"}, byParent(), "deleted")
	require.NoError(t, h.s.Delete(ctx, meta.Ref{Kind: meta.KindIssuer, Namespace: "a", Name: "iss"}, ""))
	assert.Empty(t, byParent(), "all deleted")

	// Recreated under the same name, owned again.
	owned(KindWidget, "a", "w", parent)
	assert.Equal(t, []string{"Widget/a/w"}, byParent(), "recreated")
}
