package order_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/store"
)

// deleteAfterOrderOpened deletes the Order right after the write that
// records its ACME URL, as the collector does when its owner goes.
type deleteAfterOrderOpened struct {
	store.Store
	done bool
}

func (s *deleteAfterOrderOpened) Update(ctx context.Context, obj meta.Object) error {
	err := s.Store.Update(ctx, obj)
	if o, ok := obj.(*order.Order); ok && err == nil && !s.done && o.Status.URL != "" {
		s.done = true
		if derr := s.Store.Delete(ctx, meta.RefOf(obj), ""); derr != nil {
			return derr
		}
	}
	return err
}

// An Order deleted between two rounds of one visit (the round after
// newOrder decides on the Order as stored, without reading it back) ends
// the visit quietly: no failure to log and back off from.
func TestReconcile_OrderDeletedBetweenRoundsEndsQuietly(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	e := newEnv(ctx, t, envConfig{})
	deps := e.deps
	st := &deleteAfterOrderOpened{Store: e.st}
	deps.Store = st
	orders := order.NewReconciler(deps, order.Options{Clients: staticClients{e.cl}, RetryAfter: e.rec.RetryAfter, PollInterval: 20 * time.Millisecond})
	ref := e.newOrder(ctx, "a.example.test")
	next, err := orders.Reconcile(ctx, ref)
	require.True(t, st.done, "the Order was opened and deleted")
	require.NoError(t, err)
	require.True(t, next.IsZero(), "nothing to look at again")
}
