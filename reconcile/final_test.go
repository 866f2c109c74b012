package reconcile_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// A Final plan's deletions, each of the version decided on, stand on any
// version of its object: they are made on an object written since, with
// no read of its version. A deletion naming no version still waits for
// the object as decided, and so does a changed child.
func TestExecute_AFinalObjectsDeletionsStandUnread(t *testing.T) {
	ctx := context.Background()
	d, _ := deps(t, "a")
	var metaReads atomic.Int32
	d.Store = storecount.New(d.Store, storecount.WithObserver(func(op storecount.Op, _ meta.Ref) {
		if op == storecount.GetMeta {
			metaReads.Add(1)
		}
	}))
	obj, child, changed := object("obj"), object("child"), object("changed")
	for _, o := range []*secret.Secret{obj, child, changed} {
		require.NoError(t, d.Store.Create(ctx, o))
	}
	decided := *obj
	obj.ObjectMeta.Labels = map[string]string{"written": "since"}
	require.NoError(t, d.Store.Update(ctx, obj))
	changedAt := changed.ObjectMeta.ResourceVersion
	changed.ObjectMeta.Labels = map[string]string{"changed": "yes"}
	require.NoError(t, d.Store.Update(ctx, changed))

	_, err := reconcile.Execute(ctx, d, reconcile.Plan{Object: &decided, Final: true, Delete: []reconcile.Deletion{{Ref: meta.RefOf(child)}}})
	require.ErrorIs(t, err, store.ErrConflict, "a deletion of no version decided on")
	require.NoError(t, d.Store.Get(ctx, meta.RefOf(child), object("")), "the child is kept")

	metaReads.Store(0)
	_, err = reconcile.Execute(ctx, d, reconcile.Plan{Object: &decided, Final: true, Delete: []reconcile.Deletion{
		{Ref: meta.RefOf(child), ResourceVersion: child.ObjectMeta.ResourceVersion},
		{Ref: meta.RefOf(changed), ResourceVersion: changedAt},
	}})
	require.ErrorIs(t, err, store.ErrConflict, "the changed child")
	require.ErrorIs(t, d.Store.Get(ctx, meta.RefOf(child), object("")), store.ErrNotFound, "the child of the version decided on is deleted")
	require.NoError(t, d.Store.Get(ctx, meta.RefOf(changed), object("")), "the changed child is kept")
	require.Zero(t, metaReads.Load(), "metadata reads of the final object")
}
