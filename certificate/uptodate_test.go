package certificate

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/meta"
)

// Reconciling an issued, up-to-date Certificate (as every one is after a
// restart) reads and writes nothing beyond its snapshot: no status write,
// no Delete of a next-key Secret that is not there, no List.
func TestReconcile_UpToDateWritesNothing(t *testing.T) {
	h := depsForTest(t)
	counts := storecount.New(h.st)
	deps := h.deps
	deps.Store = counts
	h.r = NewReconciler(deps, Options{Siblings: func(string, string) []string { return nil }})
	c := harnessCert("web", "web-tls", "web.example.test")
	c.Default()
	h.create(c)
	h.settle(10, meta.RefOf(c))
	require.True(t, h.get(meta.RefOf(c)).Status.Conditions.IsTrue(meta.ConditionReady))

	before := counts.Counts()
	next, err := h.r.Reconcile(h.ctx, meta.RefOf(c))
	require.NoError(t, err)
	calls := counts.Counts().Sub(before)
	assert.Zero(t, calls.Writes(), "writes: %s", calls)
	assert.Zero(t, calls.Of(storecount.List)+calls.Of(storecount.FullList), "lists: %s", calls)
	assert.Equal(t, *h.get(meta.RefOf(c)).Status.RenewalTime, next, "next visit at renewal")
}
