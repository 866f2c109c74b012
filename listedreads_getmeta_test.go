package certflow

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// A metadata read in a visit the list still answers is the list's, as its
// Get is: the visit's reads of one object agree whichever it makes. A
// fresh one is the Store's (TestListedReads_FreshReadIsTheStores).
func TestListedReads_GetMetaAnswersFromTheListAsGetDoes(t *testing.T) {
	ctx := testrig.Context(t)
	_, l, ref, changed := listedThenChanged(ctx, t)
	newIssuer := func() meta.Object { return &issuer.Issuer{} }

	visit := l.visit(ctx)
	got, err := l.GetMeta(visit, ref, newIssuer)
	require.NoError(t, err)
	viaGet := &issuer.Issuer{}
	require.NoError(t, l.Get(visit, ref, viaGet))
	assert.Equal(t, viaGet.ObjectMeta.ResourceVersion, got.ResourceVersion, "Get's answer")
	assert.NotEqual(t, changed.ObjectMeta.ResourceVersion, got.ResourceVersion, "the list's version, not the Store's")

	fresh, err := l.GetMeta(store.WithFreshRead(l.visit(ctx)), ref, newIssuer)
	require.NoError(t, err)
	assert.Equal(t, changed.ObjectMeta.ResourceVersion, fresh.ResourceVersion, "a fresh read is the Store's")
}
