package memory

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/storetest"
)

// Random creates, updates (labels and owners changed or not, an owner
// listed twice, an object owning itself) and deletes, with ids reused:
// List by label and by owner always finds what a scan of every object
// finds, and an emptied store leaves nothing in the index.
func TestObjectIndex_AgreesWithAScan(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 6))
	s := New()
	type model struct {
		labels map[string]string
		owners []meta.Ref
	}
	held := map[string]model{}
	name := func(i int) string { return fmt.Sprintf("w%d", i) }
	ref := func(n string) meta.Ref { return meta.Ref{Kind: storetest.KindWidget, Namespace: "ns", Name: n} }
	randomModel := func(self string) model {
		m := model{}
		if rng.IntN(3) > 0 {
			m.labels = map[string]string{"app": fmt.Sprint("a", rng.IntN(4))}
			if rng.IntN(2) == 0 {
				m.labels["tier"] = fmt.Sprint("t", rng.IntN(3))
			}
		}
		for range rng.IntN(3) {
			o := ref(name(rng.IntN(6)))
			if rng.IntN(5) == 0 {
				o = ref(self)
			}
			m.owners = append(m.owners, o)
		}
		if len(m.owners) == 1 && rng.IntN(4) == 0 {
			m.owners = append(m.owners, m.owners[0]) // listed twice
		}
		return m
	}
	check := func(opts store.ListOptions, want func(model) bool) {
		t.Helper()
		res, err := s.List(ctx, opts)
		require.NoError(t, err)
		var got, exp []string
		for _, it := range res.Items {
			got = append(got, it.Ref.Name)
		}
		for _, n := range slices.Sorted(maps.Keys(held)) {
			if want(held[n]) {
				exp = append(exp, n)
			}
		}
		require.Equal(t, exp, got, "%+v", opts)
	}
	for round := range 3000 {
		n := name(rng.IntN(40))
		if round > 2500 {
			n = name(round % 40) // the last rounds delete everything
		}
		_, exists := held[n]
		switch {
		case exists && (round > 2500 || rng.IntN(4) == 0):
			require.NoError(t, s.Delete(ctx, ref(n), ""))
			delete(held, n)
		case exists:
			w := &storetest.Widget{}
			require.NoError(t, s.Get(ctx, ref(n), w))
			m := held[n]
			if rng.IntN(2) == 0 {
				m = randomModel(n)
			} else {
				w.Data = map[string]string{"round": fmt.Sprint(round)} // same labels and owners
			}
			w.Metadata.Labels, w.Metadata.OwnerRefs = m.labels, m.owners
			require.NoError(t, s.Update(ctx, w))
			held[n] = m
		case round <= 2500:
			m := randomModel(n)
			w := storetest.NewWidget("ns", n, nil)
			w.Metadata.Labels, w.Metadata.OwnerRefs = m.labels, m.owners
			require.NoError(t, s.Create(ctx, w))
			held[n] = m
		}
		if round%25 == 0 {
			for a := range 4 {
				app := fmt.Sprint("a", a)
				check(store.ListOptions{Kind: storetest.KindWidget, Labels: map[string]string{"app": app}},
					func(m model) bool { return m.labels["app"] == app })
				check(store.ListOptions{Kind: storetest.KindWidget, Labels: map[string]string{"app": app, "tier": "t1"}},
					func(m model) bool { return m.labels["app"] == app && m.labels["tier"] == "t1" })
			}
			for o := range 6 {
				owner := ref(name(o))
				check(store.ListOptions{Kind: storetest.KindWidget, Owner: &owner},
					func(m model) bool { return slices.Contains(m.owners, owner) })
				check(store.ListOptions{Owner: &owner, Labels: map[string]string{"app": "a1"}},
					func(m model) bool { return slices.Contains(m.owners, owner) && m.labels["app"] == "a1" })
			}
		}
	}
	require.Empty(t, held)
	require.Empty(t, s.index.heads, "no key is left")
	require.Equal(t, len(s.index.postings), freePostings(&s.index), "every posting is free")
}

// Keys are hashes: an object filed under another's key (two hashes
// alike) is read by a List of that key but not returned, since List
// checks every object it reads.
func TestObjectIndex_CollidingKeysListOnlyWhatMatches(t *testing.T) {
	ctx := context.Background()
	s := New()
	owner := meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "c"}
	mine := labelled("ns", "mine", "web")
	mine.Metadata.OwnerRefs = []meta.Ref{owner}
	require.NoError(t, s.Create(ctx, mine))
	require.NoError(t, s.Create(ctx, labelled("ns", "other", "db")))
	id, ok := s.objects[storetest.KindWidget].lookup(meta.Ref{Kind: storetest.KindWidget, Namespace: "ns", Name: "other"})
	require.True(t, ok)
	s.index.file(id, s.index.ownerKey(owner))
	s.index.file(id, s.index.labelKey(storetest.KindWidget, "app", "web"))
	for _, opts := range []store.ListOptions{
		{Kind: storetest.KindWidget, Owner: &owner},
		{Kind: storetest.KindWidget, Labels: map[string]string{"app": "web"}},
	} {
		require.Equal(t, 2, func() int { f, _ := s.narrowestLocked(opts); return f.len() }(), "both filed under the key")
		res, err := s.List(ctx, opts)
		require.NoError(t, err)
		require.Len(t, res.Items, 1, "%+v", opts)
		require.Equal(t, "mine", res.Items[0].Ref.Name)
	}
}

// freePostings counts the postings on the index's free list, checking
// each is cleared.
func freePostings(ix *objectIndex) int {
	n := 0
	for p := ix.free; p != 0; p = ix.postings[p-1].nextOfObj {
		if ps := ix.postings[p-1]; ps.id != 0 || ps.prev != 0 || ps.next != 0 {
			return -1
		}
		n++
	}
	return n
}

// An object kept encoded (opaque: its labels a Go map, which yields them
// in a new order each time) is unfiled from exactly the keys it was filed
// under, beside others filed under them.
func TestObjectIndex_ObjectsKeptEncoded(t *testing.T) {
	ctx := context.Background()
	s := New()
	owner := meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "c"}
	labels := func(v string) map[string]string {
		return map[string]string{"a": v, "b": v, "c": v, "d": v, "e": v, "f": v}
	}
	for _, v := range []string{"1", "2"} { // others under every key
		o := &opaque{Widget: *storetest.NewWidget("ns", "other"+v, nil), Any: "x"}
		o.Metadata.Labels, o.Metadata.OwnerRefs = labels(v), []meta.Ref{owner}
		require.NoError(t, s.Create(ctx, o))
	}
	heads := maps.Clone(s.index.heads)
	count := func(opts store.ListOptions) int {
		res, err := s.List(ctx, opts)
		require.NoError(t, err)
		return len(res.Items)
	}
	for i := range 30 {
		o := &opaque{Widget: *storetest.NewWidget("ns", fmt.Sprint("o", i), nil), Any: "x"}
		o.Metadata.Labels, o.Metadata.OwnerRefs = labels("1"), []meta.Ref{owner}
		require.NoError(t, s.Create(ctx, o))
		require.Nil(t, s.objects[o.Widget.Kind].get(meta.RefOf(o)).codec(), "kept encoded")
		got := &opaque{}
		require.NoError(t, s.Get(ctx, meta.RefOf(o), got))
		got.Metadata.Labels = labels("2")
		require.NoError(t, s.Update(ctx, got))
		for _, k := range []string{"a", "c", "f"} {
			require.Equal(t, 2, count(store.ListOptions{Kind: o.Widget.Kind, Labels: map[string]string{k: "2"}}))
			require.Equal(t, 1, count(store.ListOptions{Kind: o.Widget.Kind, Labels: map[string]string{k: "1"}}))
		}
		require.Equal(t, 3, count(store.ListOptions{Kind: o.Widget.Kind, Owner: &owner}))
		require.NoError(t, s.Delete(ctx, meta.RefOf(o), ""))
		require.Equal(t, heads, s.index.heads, "round %d: the others' keys as they were", i)
	}
}
