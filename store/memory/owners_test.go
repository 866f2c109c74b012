package memory

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/storetest"
)

// An owner's objects are listed exactly as they come and go, and once it
// owns nothing (its objects deleted or disowned) the index keeps nothing
// of it: Events come and go by the hundred thousand, and their owners
// must not pile up.
func TestOwnerIndex_ForgetsAnOwnerOfNothing(t *testing.T) {
	ctx := context.Background()
	s := New()
	parent := meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "c"}
	list := func() []string {
		res, err := s.List(ctx, store.ListOptions{Kind: storetest.KindWidget, Namespace: "ns", Owner: &parent})
		require.NoError(t, err)
		var got []string
		for _, it := range res.Items {
			got = append(got, it.Ref.Name)
		}
		return got
	}
	var names []string
	for i := range 17 {
		n := fmt.Sprintf("w%02d", i)
		names = append(names, n)
		w := storetest.NewWidget("ns", n, nil)
		w.Metadata.OwnerRefs = []meta.Ref{parent, parent} // listed twice, indexed once
		require.NoError(t, s.Create(ctx, w))
		require.Equal(t, names, list(), "after %d", i+1)
	}
	disowned := s.objects[storetest.KindWidget].get(meta.Ref{Kind: storetest.KindWidget, Namespace: "ns", Name: names[0]})
	w := &storetest.Widget{}
	require.NoError(t, disowned.decodeInto(w))
	w.Metadata.OwnerRefs = nil
	require.NoError(t, s.Update(ctx, w))
	names = names[1:]
	assert.Equal(t, names, list(), "disowned")
	for _, n := range names {
		require.NoError(t, s.Delete(ctx, meta.Ref{Kind: storetest.KindWidget, Namespace: "ns", Name: n}, ""))
	}
	assert.Empty(t, list())
	assert.Empty(t, s.index.heads, "an owner of nothing is dropped")
	assert.Equal(t, len(s.index.postings), freePostings(&s.index), "every posting is free")
}
