package memory

import (
	"context"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/storetest"
)

// The store holds ~8 entries a certificate (800,000 at 100k), each
// scanned by the garbage collector: an entry stays three words, in the
// 32-byte size class.
func TestEntry_FitsItsSizeClass(t *testing.T) {
	assert.LessOrEqual(t, unsafe.Sizeof(entry{}), uintptr(32))
}

// An entry gives back the reference it was made with, matches only it,
// and entries of one kind and namespace share one scope.
func TestEntry_HoldsItsReference(t *testing.T) {
	ref := meta.Ref{Kind: meta.KindCertificate, Namespace: "tenant-a", Name: "shop"}
	e := entryRef(ref)
	assert.Equal(t, ref, e.ref())
	assert.True(t, e.is(ref))
	for _, other := range []meta.Ref{
		{Kind: meta.KindSecret, Namespace: "tenant-a", Name: "shop"},
		{Kind: meta.KindCertificate, Namespace: "tenant-b", Name: "shop"},
		{Kind: meta.KindCertificate, Namespace: "tenant-a", Name: "shop2"},
	} {
		assert.False(t, e.is(other), "%v", other)
		assert.NotEqual(t, other, e.ref())
	}
	sibling := entryRef(meta.Ref{Kind: meta.KindCertificate, Namespace: strings.Clone("tenant-a"), Name: "cart"})
	assert.Equal(t, e.scope, sibling.scope, "one scope for a kind and namespace")
	for _, n := range []int{0, 127, 128, 300} { // a name's length takes one byte up to 127
		long := meta.Ref{Kind: meta.KindCertificate, Namespace: "tenant-a", Name: strings.Repeat("n", n)}
		e := entryRef(long)
		assert.Equal(t, long, e.ref(), "%d bytes", n)
		assert.True(t, e.is(long), "%d bytes", n)
		assert.False(t, e.is(ref), "%d bytes", n)
	}
}

// An entry's name heads its slab's allocation, so a name a Get, a List
// or a watch hands out is a copy of its own: a caller keeping it (the
// Manager's indexes keep names) must not keep the slab, which a later
// version replaces.
func TestEntry_NamesHandedOutAreTheirOwn(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := New()
	events, err := s.Watch(ctx, 0)
	require.NoError(t, err)
	defer func() {
		cancel()
		for range events { // until the watch has ended
		}
	}()
	w := storetest.NewWidget("ns", "a-widget-of-some-name", map[string]string{"k": "v"})
	require.NoError(t, s.Create(ctx, w))
	e := s.objects[storetest.KindWidget].get(w.Ref())
	require.NotNil(t, e.codec(), "kept in a slab")
	inEntry := func(name string) bool {
		p, start := uintptr(unsafe.Pointer(unsafe.StringData(name))), uintptr(unsafe.Pointer(unsafe.StringData(e.named)))
		return p >= start && p < start+uintptr(len(e.named))
	}
	require.True(t, inEntry(e.name()), "the entry's own view is into its slab")

	got := &storetest.Widget{}
	require.NoError(t, s.Get(ctx, w.Ref(), got))
	res, err := s.List(ctx, store.ListOptions{Kind: storetest.KindWidget})
	require.NoError(t, err)
	objs, err := s.ListObjects(ctx, store.ListOptions{Kind: storetest.KindWidget}, func() meta.Object { return &storetest.Widget{} })
	require.NoError(t, err)
	ev := <-events
	for what, name := range map[string]string{
		"Get": got.Metadata.Name, "List": res.Items[0].Ref.Name, "ListObjects": objs[0].GetMeta().Name,
		"watch ref": ev.Ref.Name, "watch meta": ev.Meta.Name,
	} {
		assert.Equal(t, w.Metadata.Name, name, what)
		assert.False(t, inEntry(name), "%s hands out a name of its own", what)
	}
	assert.Same(t, unsafe.StringData(ev.Ref.Name), unsafe.StringData(ev.Meta.Name), "one copy for a watch event")
}
