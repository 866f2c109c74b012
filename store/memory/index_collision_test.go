package memory

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/storetest"
)

// Labels are not validated, so a user may put any bytes in them: label
// pairs that differ only in where a NUL splits key from value are
// different labels and get different keys.
func TestObjectIndex_LabelKeysDoNotDependOnSeparators(t *testing.T) {
	ix := newObjectIndex()
	require.NotEqual(t, ix.labelKey(storetest.KindWidget, "b\x00c", "d"), ix.labelKey(storetest.KindWidget, "b", "c\x00d"))
	require.NotEqual(t, ix.labelKey("K\x00a", "b", "c"), ix.labelKey("K", "a\x00b", "c"))
	require.NotEqual(t,
		ix.ownerKey(meta.Ref{Kind: "K", Namespace: "a\x00b", Name: "c"}),
		ix.ownerKey(meta.Ref{Kind: "K", Namespace: "a", Name: "b\x00c"}))
}

// With every key hashing alike (the narrowest hash there is), objects
// share one list: List still returns exactly what matches, and deleting
// or relabelling one object unfiles its own postings only.
func TestObjectIndex_CollidingObjectsUnfileOnlyTheirOwn(t *testing.T) {
	ctx := context.Background()
	s := New()
	s.index.mask = 0 // every key is 0
	owner := meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "c"}
	ref := func(n string) meta.Ref { return meta.Ref{Kind: storetest.KindWidget, Namespace: "ns", Name: n} }
	names := func(opts store.ListOptions) []string {
		t.Helper()
		res, err := s.List(ctx, opts)
		require.NoError(t, err)
		var got []string
		for _, it := range res.Items {
			got = append(got, it.Ref.Name)
		}
		return got
	}
	web := store.ListOptions{Kind: storetest.KindWidget, Labels: map[string]string{"app": "web"}}
	db := store.ListOptions{Kind: storetest.KindWidget, Labels: map[string]string{"app": "db"}}
	owned := store.ListOptions{Owner: &owner}

	a := labelled("ns", "a", "web")
	b := labelled("ns", "b", "db")
	b.Metadata.OwnerRefs = []meta.Ref{owner}
	require.NoError(t, s.Create(ctx, a))
	require.NoError(t, s.Create(ctx, b))
	require.Equal(t, []string{"a"}, names(web))
	require.Equal(t, []string{"b"}, names(db))
	require.Equal(t, []string{"b"}, names(owned))
	require.Equal(t, postingList{first: s.index.heads[0].first, n: 2}, s.index.heads[0], "b's label and owner are one key")

	// a becomes db: same key, the index as it was.
	a.Metadata.Labels = map[string]string{"app": "db"}
	require.NoError(t, s.Update(ctx, a))
	require.Equal(t, []string{"a", "b"}, names(db))
	require.Empty(t, names(web))

	// b deleted: a's posting stays, and a's id reused by c leaves a alone.
	require.NoError(t, s.Delete(ctx, ref("b"), ""))
	require.Equal(t, []string{"a"}, names(db))
	require.Empty(t, names(owned))
	c := labelled("ns", "c", "web")
	require.NoError(t, s.Create(ctx, c))
	require.Equal(t, []string{"c"}, names(web))
	require.Equal(t, []string{"a"}, names(db))

	// a loses every label: unfiled, c still found.
	a.Metadata.Labels = nil
	require.NoError(t, s.Update(ctx, a))
	require.Empty(t, names(db))
	require.Equal(t, []string{"c"}, names(web))
	require.Equal(t, uint32(1), s.index.heads[0].n)

	require.NoError(t, s.Delete(ctx, ref("c"), ""))
	require.NoError(t, s.Delete(ctx, ref("a"), ""))
	require.Empty(t, s.index.heads)
	require.Equal(t, len(s.index.postings), freePostings(&s.index), "every posting is free")
}

// An object's postings hold their keys, so unfiling it does not depend on
// its entry giving back exactly the keys it was filed under: an object
// filed under keys its entry does not carry (as a GetMeta that reads
// differently each time would leave it) is deleted and relabelled
// without a panic, and leaves nothing behind.
func TestObjectIndex_UnfilesWhatItFiledNotWhatTheEntrySays(t *testing.T) {
	ctx := context.Background()
	s := New()
	owner := meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "c"}
	for _, n := range []string{"a", "b"} {
		require.NoError(t, s.Create(ctx, labelled("ns", n, "web")))
		id, ok := s.objects[storetest.KindWidget].lookup(meta.Ref{Kind: storetest.KindWidget, Namespace: "ns", Name: n})
		require.True(t, ok)
		s.index.file(id, s.index.ownerKey(owner))
		s.index.file(id, s.index.labelKey(storetest.KindWidget, "app", "db"))
	}
	a := &storetest.Widget{}
	require.NoError(t, s.Get(ctx, meta.Ref{Kind: storetest.KindWidget, Namespace: "ns", Name: "a"}, a))
	a.Metadata.Labels = map[string]string{"app": "db"}
	require.NoError(t, s.Update(ctx, a))
	require.Equal(t, uint32(2), s.index.heads[s.index.labelKey(storetest.KindWidget, "app", "db")].n, "a refiled once, b as it was")
	require.Equal(t, uint32(1), s.index.heads[s.index.ownerKey(owner)].n, "a no longer under the owner")
	for _, n := range []string{"a", "b"} {
		require.NoError(t, s.Delete(ctx, meta.Ref{Kind: storetest.KindWidget, Namespace: "ns", Name: n}, ""))
	}
	require.Empty(t, s.index.heads)
	require.Equal(t, len(s.index.postings), freePostings(&s.index), "every posting is free")
}
