package memory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/storetest"
)

// List by a label finds exactly the objects carrying it as they come and
// go, and once none does the index keeps nothing of it.
func TestLabelIndex_GrowsAndShrinksPastTheSlice(t *testing.T) {
	ctx := context.Background()
	s := New()
	var names []string
	list := func() []string {
		res, err := s.List(ctx, store.ListOptions{Kind: storetest.KindWidget, Labels: map[string]string{"app": "web"}})
		require.NoError(t, err)
		var got []string
		for _, it := range res.Items {
			got = append(got, it.Ref.Name)
		}
		return got
	}
	for i := range 17 {
		n := fmt.Sprintf("w%02d", i)
		names = append(names, n)
		require.NoError(t, s.Create(ctx, labelled("ns", n, "web")))
		require.NoError(t, s.Create(ctx, labelled("ns", "other"+n, "db")))
		require.Equal(t, names, list(), "after %d", i+1)
	}
	for len(names) > 0 {
		ref := meta.Ref{Kind: storetest.KindWidget, Namespace: "ns", Name: names[0]}
		require.NoError(t, s.Delete(ctx, ref, ""))
		names = names[1:]
		if len(names) > 0 {
			assert.Equal(t, names, list())
		} else {
			assert.Empty(t, list())
		}
	}
	_, held := s.index.heads[s.index.labelKey(storetest.KindWidget, "app", "web")]
	assert.False(t, held, "a key of no object is dropped")
	assert.Len(t, s.index.heads, 1, "the other label's key is all that is left")
}

// Objects with equal content share its bytes in the store, and what a
// caller gets is its own: writing to it changes neither the store nor
// another object.
func TestSharedContent_IsNeverHandedOut(t *testing.T) {
	ctx := context.Background()
	s := New()
	blob := []byte(strings.Repeat("-----BEGIN CERTIFICATE----- the same chain in two objects\n", 2))
	ref := func(n string) meta.Ref { return meta.Ref{Kind: kindBlob, Namespace: "ns", Name: n} }
	for _, n := range []string{"a", "b"} {
		require.NoError(t, s.Create(ctx, &blobject{Kind: kindBlob, Metadata: meta.ObjectMeta{Namespace: "ns", Name: n},
			Blob: slices.Clone(blob)}))
	}
	ea, eb := s.objects[kindBlob].get(ref("a")), s.objects[kindBlob].get(ref("b"))
	require.NotNil(t, ea.codec(), "kept in a slab")
	require.Len(t, ea.slab().handles(), 1, "the blob is shared")
	require.Equal(t, ea.slab().handles(), eb.slab().handles(), "one copy for both")

	got := &blobject{}
	require.NoError(t, s.Get(ctx, ref("a"), got))
	got.Blob[0] = 'X'
	other := &blobject{}
	require.NoError(t, s.Get(ctx, ref("b"), other))
	assert.Equal(t, blob, other.Blob)
	require.NoError(t, s.Get(ctx, ref("a"), got))
	assert.Equal(t, blob, got.Blob)
}

func labelled(ns, name, app string) *storetest.Widget {
	w := storetest.NewWidget(ns, name, nil)
	w.Metadata.Labels = map[string]string{"app": app}
	return w
}

const kindBlob meta.Kind = "Blob"

// blobject is an object holding bytes, as Secrets and requests do.
type blobject struct {
	Kind     meta.Kind       `json:"kind"`
	Metadata meta.ObjectMeta `json:"metadata"`
	Blob     []byte          `json:"blob"`
}

func (b *blobject) GetKind() meta.Kind        { return b.Kind }
func (b *blobject) GetMeta() *meta.ObjectMeta { return &b.Metadata }

// A mid-length string is kept inline in the first objects holding it and
// shared once many hold it, and every Get returns it whole.
func TestRepeatedStrings_AreSharedFromTheSecond(t *testing.T) {
	ctx := context.Background()
	s := New()
	const message = "The certificate has been successfully issued" // not a known word (slab_known.go)
	ref := func(n string) meta.Ref { return meta.Ref{Kind: meta.KindEvent, Namespace: "ns", Name: n} }
	names := make([]string, repeatShared+2)
	for i := range names {
		names[i] = fmt.Sprintf("e%d", i)
		require.NoError(t, s.Create(ctx, &meta.Event{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: names[i]},
			Reason: "Issued", Message: strings.Clone(message)}))
	}
	for i, n := range names {
		shared := 0
		if i > repeatShared {
			shared = 1
		}
		e := s.objects[meta.KindEvent].get(ref(n))
		require.Len(t, e.slab().handles(), shared, "%s: shared strings", n)
		got := &meta.Event{}
		require.NoError(t, s.Get(ctx, ref(n), got))
		assert.Equal(t, message, got.Message)
	}
}

// A long string only one object holds (an Event's message naming its
// object) is kept inline: a canonical copy would cost more than it; one
// many objects hold is shared once they repeat it, and one of
// sharedAlwaysLen at once.
func TestLongStrings_AreSharedOnlyWhenTheyRepeat(t *testing.T) {
	ctx := context.Background()
	s := New()
	ref := func(n string) meta.Ref { return meta.Ref{Kind: meta.KindEvent, Namespace: "ns", Name: n} }
	for i := range repeatShared + 2 {
		n := fmt.Sprintf("e%d", i)
		own := fmt.Sprintf("Stored new private key in temporary Secret resource \"%s-next-private-key\"", n)
		require.GreaterOrEqual(t, len(own), sharedStringLen)
		require.NoError(t, s.Create(ctx, &meta.Event{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: n},
			Reason: "Issued", Message: own}))
		e := s.objects[meta.KindEvent].get(ref(n))
		require.Empty(t, e.slab().handles(), "%s: its own message is inline", n)
		got := &meta.Event{}
		require.NoError(t, s.Get(ctx, ref(n), got))
		assert.Equal(t, own, got.Message)
	}
	huge := strings.Repeat("x", sharedAlwaysLen)
	require.NoError(t, s.Create(ctx, &meta.Event{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "huge"}, Message: huge}))
	require.Len(t, s.objects[meta.KindEvent].get(ref("huge")).slab().handles(), 1, "shared at once")
}
