package storecount_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// A batch of creates counts a Create per object, as the creates one at a
// time it replaces did: store-ops per certificate do not depend on how
// the events writer writes.
func TestCountsABatchAsACreateOfEachObject(t *testing.T) {
	ctx := context.Background()
	var seen []meta.Ref
	s := storecount.New(memory.New(), storecount.WithObserver(func(op storecount.Op, ref meta.Ref) {
		if op == storecount.Create {
			seen = append(seen, ref)
		}
	}))
	objs := []meta.Object{
		&secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "a"}},
		&secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "b"}},
	}
	errs := make([]error, len(objs))
	store.CreateBatchOf(ctx, s, objs, errs)
	require.NoError(t, errs[0])
	require.NoError(t, errs[1])
	assert.Equal(t, int64(2), s.Counts().Of(storecount.Create))
	assert.Equal(t, int64(2), s.Counts().Total())
	assert.Equal(t, []meta.Ref{meta.RefOf(objs[0]), meta.RefOf(objs[1])}, seen)
	require.NoError(t, s.Get(ctx, meta.RefOf(objs[1]), &secret.Secret{}), "passed on")
}
