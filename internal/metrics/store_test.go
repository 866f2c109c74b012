package metrics

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

func TestStoreResult_NamesTheSentinel(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, "success"},
		{fmt.Errorf("memory: get x: %w", store.ErrNotFound), "not_found"},
		{store.ErrConflict, "conflict"},
		{store.ErrAlreadyExists, "already_exists"},
		{store.ErrLocked, "locked"},
		{store.ErrLeaseLost, "lease_lost"},
		{fmt.Errorf("etcd: %w", context.DeadlineExceeded), "canceled"},
		{context.Canceled, "canceled"},
		{&store.CorruptError{Ref: meta.Ref{Kind: meta.KindSecret, Name: "x"}, Err: fmt.Errorf("bad json")}, "error"},
	} {
		assert.Equal(t, tc.want, storeResult(tc.err), "%v", tc.err)
	}
}

func TestStore_TimesEveryOperationAndPassesResultsThrough(t *testing.T) {
	r := newRig(t)
	s := r.m.Store(r.store)
	c := cert("default", "www", meta.IssuerRef{Name: "ca"})
	require.NoError(t, s.Create(r.ctx, c))
	require.ErrorIs(t, s.Create(r.ctx, cert("default", "www", meta.IssuerRef{Name: "ca"})), store.ErrAlreadyExists)
	got := cert("", "", meta.IssuerRef{})
	require.NoError(t, s.Get(r.ctx, meta.RefOf(c), got))
	assert.Equal(t, c.ObjectMeta.UID, got.ObjectMeta.UID)
	stale := *got
	require.NoError(t, s.Update(r.ctx, got))
	require.ErrorIs(t, s.Update(r.ctx, &stale), store.ErrConflict)
	res, err := s.List(r.ctx, store.ListOptions{Kind: meta.KindCertificate})
	require.NoError(t, err)
	assert.Len(t, res.Items, 1)
	ctx, cancel := context.WithCancel(r.ctx)
	_, err = s.Watch(ctx, res.Revision)
	require.NoError(t, err)
	cancel()
	l, err := s.Acquire(r.ctx, "lock", "me", time.Minute)
	require.NoError(t, err)
	_, err = s.Acquire(r.ctx, "lock", "you", time.Minute)
	require.ErrorIs(t, err, store.ErrLocked)
	l, err = s.Renew(r.ctx, l)
	require.NoError(t, err)
	require.NoError(t, s.Release(r.ctx, l))
	require.ErrorIs(t, s.Release(r.ctx, l), store.ErrLeaseLost)
	require.NoError(t, s.Delete(r.ctx, meta.RefOf(c), ""))
	require.ErrorIs(t, s.Get(r.ctx, meta.RefOf(c), got), store.ErrNotFound)

	assert.Equal(t, map[string]float64{
		`{operation="create",result="success"}`:        1,
		`{operation="create",result="already_exists"}`: 1,
		`{operation="get",result="success"}`:           1,
		`{operation="get",result="not_found"}`:         1,
		`{operation="update",result="success"}`:        1,
		`{operation="update",result="conflict"}`:       1,
		`{operation="list",result="success"}`:          1,
		`{operation="watch",result="success"}`:         1,
		`{operation="acquire",result="success"}`:       1,
		`{operation="acquire",result="locked"}`:        1,
		`{operation="renew",result="success"}`:         1,
		`{operation="release",result="success"}`:       1,
		`{operation="release",result="lease_lost"}`:    1,
		`{operation="delete",result="success"}`:        1,
	}, gather(t, r.m)["certflow_store_operation_duration_seconds"].samples)
	assert.Same(t, r.store, s.(interface{ Unwrap() store.Store }).Unwrap())
}
