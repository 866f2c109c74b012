package certflow

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// A metadata read in a visit the list still answers is the list's, as its
// Get is: the visit's reads of one object agree whichever it makes. A
// fresh one is the Store's (TestListedReads_FreshReadIsTheStores).
func TestListedReads_GetMetaAnswersFromTheListAsGetDoes(t *testing.T) {
	ctx := testrig.Context(t)
	raw := memory.New()
	iss := testrig.CAIssuer("ns", "ca", "a")
	require.NoError(t, raw.Create(ctx, iss))
	res, err := raw.List(ctx, store.ListOptions{})
	require.NoError(t, err)
	l := &listedReads{Store: raw}
	l.load(res.Items, nil)
	ref := meta.RefOf(iss)
	listed := iss.ObjectMeta.ResourceVersion

	changed := &issuer.Issuer{}
	require.NoError(t, raw.Get(ctx, ref, changed))
	changed.ObjectMeta.Labels = map[string]string{"by": "a replica"}
	require.NoError(t, raw.Update(ctx, changed))

	newIssuer := func() meta.Object { return &issuer.Issuer{} }
	visit := l.visit(ctx)
	got, err := l.GetMeta(visit, ref, newIssuer)
	require.NoError(t, err)
	assert.Equal(t, listed, got.ResourceVersion, "the list's version, as Get answers")
	viaGet := &issuer.Issuer{}
	require.NoError(t, l.Get(visit, ref, viaGet))
	assert.Equal(t, got.ResourceVersion, viaGet.ObjectMeta.ResourceVersion)

	fresh, err := l.GetMeta(store.WithFreshRead(l.visit(ctx)), ref, newIssuer)
	require.NoError(t, err)
	assert.Equal(t, changed.ObjectMeta.ResourceVersion, fresh.ResourceVersion, "a fresh read is the Store's")
}
