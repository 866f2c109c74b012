package certflow

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/metrics"
	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// listSpy is a memory Store telling which way it was listed.
type listSpy struct {
	*memory.Store
	lists, objectLists atomic.Int64
}

func (s *listSpy) List(ctx context.Context, opts store.ListOptions) (store.ListResult, error) {
	s.lists.Add(1)
	return s.Store.List(ctx, opts)
}

func (s *listSpy) ListObjects(ctx context.Context, opts store.ListOptions, newObject func() meta.Object) ([]meta.Object, error) {
	s.objectLists.Add(1)
	return s.Store.ListObjects(ctx, opts, newObject)
}

// TestReconcilerListsReachTypedList: a reconciler's ListOf passes through
// every Store wrapper the Manager puts before the Store (counting, timing,
// the start's list, own writes, the serving cache's writes) to the memory
// store's ListObjects, not List: no JSON round trip per listed object. The
// start's list still hands the rest of the visit to the Store, as List
// does, and the objects listed are those stored.
func TestReconcilerListsReachTypedList(t *testing.T) {
	ctx := context.Background()
	spy := &listSpy{Store: memory.New()}
	counted := storecount.New(spy)
	listed := &listedReads{Store: metrics.New(metrics.Options{}).Store(counted)}
	listed.load(nil, nil)
	chain := &writesThrough{Store: &ownWritesStore{Store: listed, own: &ownWrites{}, wake: func(meta.Ref) {}},
		stored: func(meta.Object) {}}

	owner := meta.Ref{Kind: meta.KindOrder, Namespace: "ns", Name: "o"}
	for _, name := range []string{"o-b", "o-a"} {
		ch := &challenge.Challenge{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: name, OwnerRefs: []meta.Ref{owner}},
			Spec: challenge.Spec{AuthorizationURL: "https://ca/authz/" + name}}
		require.NoError(t, spy.Create(ctx, ch))
	}

	vctx := listed.visit(ctx)
	chs, err := store.ListOf[challenge.Challenge](vctx, chain, store.ListOptions{Kind: meta.KindChallenge, Namespace: "ns", Owner: &owner})
	require.NoError(t, err)
	require.Len(t, chs, 2)
	assert.Equal(t, "o-a", chs[0].ObjectMeta.Name)
	assert.Equal(t, "https://ca/authz/o-b", chs[1].Spec.AuthorizationURL)
	assert.NotEmpty(t, chs[0].ObjectMeta.ResourceVersion)
	assert.EqualValues(t, 1, spy.objectLists.Load(), "typed lists")
	assert.EqualValues(t, 0, spy.lists.Load(), "JSON lists")
	assert.EqualValues(t, 1, counted.Counts().Of(storecount.List), "counted as a List")
	v, _ := vctx.Value(listedVisitKey{}).(*listedVisit)
	require.NotNil(t, v)
	assert.True(t, v.ahead.Load(), "the visit read the Store: the start's list answers nothing more in it")

	writes := listedWrites{Store: counted, listed: listed}
	_, err = store.ListOf[challenge.Challenge](ctx, writes, store.ListOptions{Kind: meta.KindChallenge})
	require.NoError(t, err)
	assert.EqualValues(t, 2, spy.objectLists.Load(), "typed lists through the Manager's own Store")
	assert.EqualValues(t, 0, spy.lists.Load(), "JSON lists")
}
