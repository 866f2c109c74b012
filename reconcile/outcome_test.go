package reconcile_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
)

// A child the plan creates that is stored already is kept as stored (not
// overwritten with the plan's) and named in Outcome.Existed, so a decision
// on the plan's result knows the Store holds something else; Requeue then
// has the object looked at again at once.
func TestExecuteOutcome_NamesTheChildrenStoredAlready(t *testing.T) {
	ctx := context.Background()
	d, _ := deps(t, "a")
	obj := object("obj")
	require.NoError(t, d.Store.Create(ctx, obj))
	theirs := object("existing")
	theirs.ObjectMeta.Labels = map[string]string{"made-by": "another replica"}
	require.NoError(t, d.Store.Create(ctx, theirs))

	mine := object("existing")
	mine.ObjectMeta.Labels = map[string]string{"made-by": "this plan"}
	later := time.Unix(2e9, 0)
	out, err := reconcile.ExecuteOutcome(ctx, d, reconcile.Plan{Object: obj, Write: true, Next: later,
		Create: []meta.Object{object("new"), mine}})
	require.NoError(t, err)
	assert.Equal(t, later, out.Next)
	assert.Equal(t, []meta.Ref{meta.RefOf(theirs)}, out.Existed)
	assert.False(t, out.Stored())
	got := object("")
	require.NoError(t, d.Store.Get(ctx, meta.RefOf(theirs), got))
	assert.Equal(t, "another replica", got.ObjectMeta.Labels["made-by"], "the stored child is kept")
	now := d.Clock.Now()
	assert.Equal(t, now, out.Requeue(now), "looked at again at once")
	assert.Equal(t, now.Add(-time.Second), reconcile.Outcome{Next: now.Add(-time.Second)}.Requeue(now), "or sooner, if the plan said so")

	out, err = reconcile.ExecuteOutcome(ctx, d, reconcile.Plan{Object: obj, Create: []meta.Object{object("fresh")}, Next: later})
	require.NoError(t, err)
	assert.True(t, out.Stored(), "every child created by the plan")
	assert.Empty(t, out.Existed)
}
