package storecount_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

func TestCountsEachOperation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var seen []storecount.Op
	var refs []meta.Ref
	s := storecount.New(memory.New(), storecount.WithObserver(func(op storecount.Op, ref meta.Ref) {
		seen = append(seen, op)
		refs = append(refs, ref)
	}))
	assert.True(t, s.LastCall().IsZero())
	sec := &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "a"}}
	ref := meta.RefOf(sec)

	require.NoError(t, s.Create(ctx, sec))
	require.NoError(t, s.Get(ctx, ref, &secret.Secret{}))
	require.NoError(t, s.Update(ctx, sec))
	_, err := s.List(ctx, store.ListOptions{})
	require.NoError(t, err)
	_, err = s.List(ctx, store.ListOptions{Kind: meta.KindSecret})
	require.NoError(t, err)
	_, err = s.Watch(ctx, 0)
	require.NoError(t, err)
	lease, err := s.Acquire(ctx, "l", "me", time.Minute)
	require.NoError(t, err)
	lease, err = s.Renew(ctx, lease)
	require.NoError(t, err)
	require.NoError(t, s.Release(ctx, lease))
	require.NoError(t, s.Delete(ctx, ref, ""))
	assert.ErrorIs(t, s.Get(ctx, ref, &secret.Secret{}), store.ErrNotFound, "errors pass through")

	c := s.Counts()
	want := map[storecount.Op]int64{storecount.Get: 2, storecount.List: 1, storecount.FullList: 1, storecount.Create: 1,
		storecount.Update: 1, storecount.Delete: 1, storecount.Watch: 1, storecount.Acquire: 1, storecount.Renew: 1, storecount.Release: 1}
	for _, op := range storecount.Ops() {
		assert.Equal(t, want[op], c.Of(op), op.String())
	}
	assert.Equal(t, int64(11), c.Total())
	assert.Equal(t, int64(3), c.Writes())
	assert.Equal(t, []storecount.Op{storecount.Create, storecount.Get, storecount.Update, storecount.FullList, storecount.List,
		storecount.Watch, storecount.Acquire, storecount.Renew, storecount.Release, storecount.Delete, storecount.Get}, seen)
	assert.Equal(t, ref, refs[0])
	assert.Equal(t, ref, refs[9])
	assert.False(t, s.LastCall().IsZero())
	assert.Same(t, s.Unwrap(), s.Unwrap())
}

func TestCountsSubAndString(t *testing.T) {
	ctx := context.Background()
	s := storecount.New(memory.New())
	before := s.Counts()
	assert.Equal(t, "none", before.String())
	ref := meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "missing"}
	_ = s.Get(ctx, ref, &secret.Secret{})
	_ = s.Delete(ctx, ref, "")
	mid := s.Counts()
	_ = s.Get(ctx, ref, &secret.Secret{})
	d := s.Counts().Sub(mid)
	assert.Equal(t, "get=1", d.String())
	assert.Equal(t, "get=2 delete=1", s.Counts().Sub(before).String())
}

// A metadata read is counted apart from a Get (it decodes no object) and
// reaches the wrapped Store's own, which answers as Get would.
func TestGetMetaIsCountedApart(t *testing.T) {
	ctx := context.Background()
	s := storecount.New(memory.New())
	sec := &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "s"}}
	require.NoError(t, s.Create(ctx, sec))
	m, err := s.GetMeta(ctx, meta.RefOf(sec), func() meta.Object { return &secret.Secret{} })
	require.NoError(t, err)
	assert.Equal(t, sec.ObjectMeta.ResourceVersion, m.ResourceVersion)
	assert.Equal(t, "create=1 get-meta=1", s.Counts().String())
}
