package memory

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

// GetMeta's metadata is the caller's own for a type the slab declines
// (kept decoded) as for the others (storetest's conformance case): a
// caller changing its labels or owners changes nothing stored.
func TestGetMeta_DeclinedTypeMetadataIsTheCallers(t *testing.T) {
	ctx := context.Background()
	s := New()
	obj := &declined{Metadata: meta.ObjectMeta{Namespace: "ns", Name: "n",
		Labels:    map[string]string{"app": "a"},
		OwnerRefs: []meta.Ref{{Kind: meta.KindCertificate, Namespace: "ns", Name: "owner"}}}}
	require.NoError(t, s.Create(ctx, obj))
	ref := meta.RefOf(obj)
	newObj := func() meta.Object { return &declined{} }
	want, err := s.GetMeta(ctx, ref, newObj)
	require.NoError(t, err)
	got, err := s.GetMeta(ctx, ref, newObj)
	require.NoError(t, err)
	got.Labels["app"], got.OwnerRefs[0].Name = "mine", "mine"
	again, err := s.GetMeta(ctx, ref, newObj)
	require.NoError(t, err)
	assert.Equal(t, want, again)
	assert.Equal(t, "a", again.Labels["app"])
	assert.Equal(t, "owner", again.OwnerRefs[0].Name)
}
