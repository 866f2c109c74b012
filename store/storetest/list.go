package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

func testListFilters(ctx context.Context, t *testing.T, h *harness) {
	owner := meta.Ref{Kind: KindWidget, Namespace: "a", Name: "parent"}
	mk := func(ns, name string, labels map[string]string, owned bool) {
		w := NewWidget(ns, name, nil)
		w.Metadata.Labels = labels
		if owned {
			w.Metadata.OwnerRefs = []meta.Ref{owner}
		}
		h.create(ctx, t, w)
	}
	// Created out of order so the sort is visible.
	mk("b", "y", map[string]string{"app": "web"}, false)
	mk("a", "z", map[string]string{"app": "web", "tier": "1"}, true)
	mk("a", "parent", nil, false)
	mk("b", "x", map[string]string{"app": "db"}, true)
	h.create(ctx, t, &Widget{Kind: meta.KindClusterIssuer, Metadata: meta.ObjectMeta{Name: "global", Labels: map[string]string{"app": "web"}}})
	h.create(ctx, t, &Widget{Kind: meta.KindIssuer, Metadata: meta.ObjectMeta{Namespace: "a", Name: "iss"}})

	for _, tc := range []struct {
		name string
		opts store.ListOptions
		want []string
	}{
		{"kind", store.ListOptions{Kind: KindWidget}, []string{"a/parent", "a/z", "b/x", "b/y"}},
		{"all kinds sorted by namespace then name", store.ListOptions{}, []string{"/global", "a/iss", "a/parent", "a/z", "b/x", "b/y"}},
		{"cluster kind", store.ListOptions{Kind: meta.KindClusterIssuer}, []string{"/global"}},
		{"namespace", store.ListOptions{Kind: KindWidget, Namespace: "b"}, []string{"b/x", "b/y"}},
		{"namespace all kinds", store.ListOptions{Namespace: "a"}, []string{"a/iss", "a/parent", "a/z"}},
		{"one label", store.ListOptions{Labels: map[string]string{"app": "web"}}, []string{"/global", "a/z", "b/y"}},
		{"two labels", store.ListOptions{Labels: map[string]string{"app": "web", "tier": "1"}}, []string{"a/z"}},
		{"label value differs", store.ListOptions{Labels: map[string]string{"app": "cache"}}, nil},
		{"kind and label", store.ListOptions{Kind: KindWidget, Labels: map[string]string{"app": "web"}}, []string{"a/z", "b/y"}},
		{"kind, namespace and two labels", store.ListOptions{Kind: KindWidget, Namespace: "a", Labels: map[string]string{"app": "web", "tier": "1"}}, []string{"a/z"}},
		{"owner", store.ListOptions{Owner: &owner}, []string{"a/z", "b/x"}},
		{"owner and namespace", store.ListOptions{Owner: &owner, Namespace: "b"}, []string{"b/x"}},
		{"unknown kind", store.ListOptions{Kind: "Nothing"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := h.s.List(ctx, tc.opts)
			require.NoError(t, err)
			var got []string
			for _, raw := range res.Items {
				got = append(got, raw.Ref.Namespace+"/"+raw.Ref.Name)
				var w Widget
				require.NoError(t, raw.Decode(&w))
				assert.Equal(t, raw.Ref, w.Ref())
				assert.Equal(t, w.Metadata.ResourceVersion, raw.ResourceVersion)
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

// A List by label sees every relabelling and deletion at once (a store
// that indexes labels must keep its index with its writes).
func testListLabelsFollowWrites(ctx context.Context, t *testing.T, h *harness) {
	names := func(labels map[string]string) []string {
		res, err := h.s.List(ctx, store.ListOptions{Kind: KindWidget, Labels: labels})
		require.NoError(t, err)
		var out []string
		for _, raw := range res.Items {
			out = append(out, raw.Ref.Name)
		}
		return out
	}
	w := NewWidget("ns", "w", nil)
	w.Metadata.Labels = map[string]string{"secret": "old"}
	h.create(ctx, t, w)
	assert.Equal(t, []string{"w"}, names(map[string]string{"secret": "old"}))

	w = h.get(ctx, t, w)
	w.Metadata.Labels = map[string]string{"secret": "new"}
	require.NoError(t, h.s.Update(ctx, w))
	assert.Empty(t, names(map[string]string{"secret": "old"}), "relabelled away")
	assert.Equal(t, []string{"w"}, names(map[string]string{"secret": "new"}))

	require.NoError(t, h.s.Delete(ctx, w.Ref(), ""))
	assert.Empty(t, names(map[string]string{"secret": "new"}), "deleted")
}

func testListRevision(ctx context.Context, t *testing.T, h *harness) {
	res, err := h.s.List(ctx, store.ListOptions{})
	require.NoError(t, err)
	assert.Empty(t, res.Items)
	w := h.create(ctx, t, NewWidget("ns", "a", nil))
	other := h.create(ctx, t, NewWidget("ns", "b", nil))
	require.NoError(t, h.s.Delete(ctx, other.Ref(), ""))
	res, err = h.s.List(ctx, store.ListOptions{Kind: KindWidget})
	require.NoError(t, err)
	require.Len(t, res.Items, 1)
	assert.Greater(t, res.Revision, revOf(t, w.Metadata.ResourceVersion), "the list revision counts the delete too")
}

func testNoAliasing(ctx context.Context, t *testing.T, h *harness) {
	w := NewWidget("ns", "a", map[string]string{"k": "v"})
	w.Metadata.Labels = map[string]string{"l": "1"}
	w.Metadata.OwnerRefs = []meta.Ref{{Kind: KindWidget, Namespace: "ns", Name: "p"}}
	h.create(ctx, t, w)
	watch, err := h.s.Watch(ctx, 0)
	require.NoError(t, err)

	// The caller's object after Create.
	w.Data["k"] = "mutated"
	w.Metadata.Labels["l"] = "mutated"
	w.Metadata.OwnerRefs[0].Name = "mutated"
	*w.Metadata.CreationTime = w.Metadata.CreationTime.AddDate(1, 0, 0)
	got := h.get(ctx, t, w)
	assert.Equal(t, "v", got.Data["k"])
	assert.Equal(t, "1", got.Metadata.Labels["l"])
	assert.Equal(t, "p", got.Metadata.OwnerRefs[0].Name)
	assert.True(t, got.Metadata.CreationTime.Equal(h.clk.Now()))

	// A decoded object.
	got.Metadata.Labels["l"] = "mutated"
	assert.Equal(t, "1", h.get(ctx, t, w).Metadata.Labels["l"])

	// Listed bytes.
	h.create(ctx, t, NewWidget("ns", "b", nil))
	res, err := h.s.List(ctx, store.ListOptions{Kind: KindWidget})
	require.NoError(t, err)
	require.Len(t, res.Items, 2)
	second := string(res.Items[1].Data)
	_ = append(res.Items[0].Data, "garbage"...)
	assert.Equal(t, second, string(res.Items[1].Data), "appending to one item spills into no other")
	for i := range res.Items[0].Data {
		res.Items[0].Data[i] = 'x'
	}
	assert.Equal(t, "v", h.get(ctx, t, w).Data["k"])

	// Watch event metadata.
	ev := recv(ctx, t, watch)
	require.NoError(t, ev.Err)
	ev.Meta.Labels["l"] = "mutated"
	again, err := h.s.Watch(ctx, 0)
	require.NoError(t, err)
	ev2 := recv(ctx, t, again)
	require.NoError(t, ev2.Err)
	assert.Equal(t, "1", ev2.Meta.Labels["l"])
	assert.Equal(t, "1", h.get(ctx, t, w).Metadata.Labels["l"])
}
