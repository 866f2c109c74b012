package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// scan scans h's store through ScanOf (its own Scan when it is a
// store.Scanner, which is what a caller gets) and collects what it hands
// over.
func (h *harness) scan(ctx context.Context, opts store.ListOptions) ([]store.Raw, uint64, error) {
	var got []store.Raw
	rev, err := store.ScanOf(ctx, h.s, opts, func(raw store.Raw) error {
		got = append(got, raw)
		return nil
	})
	return got, rev, err
}

// scanFixture writes widgets of two kinds in two namespaces and a cluster
// object, created out of order so the sort is visible, one of them
// updated.
func scanFixture(ctx context.Context, t *testing.T, h *harness) meta.Ref {
	owner := meta.Ref{Kind: KindWidget, Namespace: "a", Name: "parent"}
	for _, w := range []*Widget{
		NewWidget("b", "y", map[string]string{"k": "1"}),
		NewWidget("a", "z", map[string]string{"k": "2"}),
		NewWidget("a", "parent", nil),
		NewWidget("b", "x", map[string]string{"k": "3"}),
		{Kind: meta.KindIssuer, Metadata: meta.ObjectMeta{Namespace: "a", Name: "z"}},
		{Kind: meta.KindClusterIssuer, Metadata: meta.ObjectMeta{Name: "global"}},
	} {
		if w.Metadata.Name != "parent" && w.Kind == KindWidget {
			w.Metadata.OwnerRefs = []meta.Ref{owner}
			w.Metadata.Labels = map[string]string{"app": w.Metadata.Name}
		}
		h.create(ctx, t, w)
	}
	updated := h.get(ctx, t, NewWidget("a", "z", nil))
	updated.Data["k"] = "changed"
	require.NoError(t, h.s.Update(ctx, updated))
	return owner
}

// testScanMatchesList: a Scan hands over exactly what a List returns, in
// its order, with the same versions and bytes, at the same revision.
func testScanMatchesList(ctx context.Context, t *testing.T, h *harness) {
	owner := scanFixture(ctx, t, h)
	for _, opts := range []store.ListOptions{
		{},
		{Kind: KindWidget},
		{Kind: KindWidget, Namespace: "b"},
		{Namespace: "a"},
		{Kind: KindWidget, Labels: map[string]string{"app": "x"}},
		{Owner: &owner},
		{Kind: meta.KindClusterIssuer},
		{Kind: "Nothing"},
	} {
		t.Run(fmt.Sprintf("%+v", opts), func(t *testing.T) {
			res, err := h.s.List(ctx, opts)
			require.NoError(t, err)
			got, rev, err := h.scan(ctx, opts)
			require.NoError(t, err)
			assert.Equal(t, res.Revision, rev, "read at the revision a List reads at")
			require.Len(t, got, len(res.Items))
			for i, want := range res.Items {
				assert.Equal(t, want.Ref, got[i].Ref, "item %d", i)
				assert.Equal(t, want.ResourceVersion, got[i].ResourceVersion, "item %d", i)
				assert.JSONEq(t, string(want.Data), string(got[i].Data), "item %d", i)
			}
		})
	}
	all, _, err := h.scan(ctx, store.ListOptions{})
	require.NoError(t, err)
	require.Equal(t, 6, len(all), "every object of every kind")
	// The bytes handed over are the caller's, as a List's are.
	second := string(all[1].Data)
	for i := range all[0].Data {
		all[0].Data[i] = 'x'
	}
	assert.Equal(t, second, string(all[1].Data))
	again, _, err := h.scan(ctx, store.ListOptions{})
	require.NoError(t, err)
	assert.NotContains(t, string(again[0].Data), "xxxx", "changing handed-over bytes changes nothing stored")
}

// testScanStopsOnError: fn's error stops the scan at once and is returned
// as it is.
func testScanStopsOnError(ctx context.Context, t *testing.T, h *harness) {
	scanFixture(ctx, t, h)
	stop := errors.New("enough")
	calls := 0
	rev, err := store.ScanOf(ctx, h.s, store.ListOptions{}, func(store.Raw) error {
		calls++
		if calls == 2 {
			return stop
		}
		return nil
	})
	assert.ErrorIs(t, err, stop)
	assert.Equal(t, 2, calls, "nothing is handed over after fn failed")
	assert.Zero(t, rev, "a stopped scan is no complete list")
}

// testScanRevision: a Watch from the revision a Scan returns delivers
// every change made after the scan, and none made before it.
func testScanRevision(ctx context.Context, t *testing.T, h *harness) {
	scanFixture(ctx, t, h)
	_, rev, err := h.scan(ctx, store.ListOptions{})
	require.NoError(t, err)
	require.NotZero(t, rev)
	after := h.create(ctx, t, NewWidget("c", "after", nil))
	gone := h.get(ctx, t, NewWidget("b", "x", nil))
	require.NoError(t, h.s.Delete(ctx, gone.Ref(), ""))

	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch, err := h.s.Watch(wctx, rev)
	require.NoError(t, err)
	first := recv(ctx, t, ch)
	assert.Equal(t, store.Added, first.Type)
	assert.Equal(t, after.Ref(), first.Ref, "the first change after the scan, and nothing before it")
	second := recv(ctx, t, ch)
	assert.Equal(t, store.Deleted, second.Type)
	assert.Equal(t, gone.Ref(), second.Ref)
}

// testScanOrdersAsList: a Scan hands over objects in List's order where a
// store's own order differs from it: namespaces one of which begins
// another ("a", "a-b", "a.b", "ab"), names likewise, kinds interleaved.
func testScanOrdersAsList(ctx context.Context, t *testing.T, h *harness) {
	for _, ns := range []string{"ab", "a.b", "a", "a-b"} {
		for _, name := range []string{"y", "x.1", "x", "x-1"} {
			h.create(ctx, t, NewWidget(ns, name, nil))
			if name != "y" {
				h.create(ctx, t, &Widget{Kind: meta.KindIssuer, Metadata: meta.ObjectMeta{Namespace: ns, Name: name}})
			}
		}
	}
	for _, name := range []string{"x", "a-b", "a"} {
		h.create(ctx, t, &Widget{Kind: meta.KindClusterIssuer, Metadata: meta.ObjectMeta{Name: name}})
	}
	res, err := h.s.List(ctx, store.ListOptions{})
	require.NoError(t, err)
	got, rev, err := h.scan(ctx, store.ListOptions{})
	require.NoError(t, err)
	assert.Equal(t, res.Revision, rev)
	refs := func(items []store.Raw) []meta.Ref {
		out := make([]meta.Ref, len(items))
		for i, raw := range items {
			out[i] = raw.Ref
		}
		return out
	}
	assert.Equal(t, refs(res.Items), refs(got))
	assert.Len(t, got, 4*4+4*3+3)
	for i := 1; i < len(got); i++ {
		assert.Negative(t, store.CompareRefs(got[i-1].Ref, got[i].Ref), "sorted by CompareRefs: %s before %s", got[i-1].Ref, got[i].Ref)
	}
}
