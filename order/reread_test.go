package order_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
)

// TestVisitDoesNotReadBackWhatItStored: the visit that opens an order,
// reads its authorization and creates its Challenge decides each round
// after the first on the Order as it stored it, with the issuer it loaded:
// one read of each (and the claim's freshness check of newOrder, a read of
// the Order's metadata alone), not one per round. The order still ends valid.
func TestVisitDoesNotReadBackWhatItStored(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 60*time.Second)
	e := newEnv(ctx, t, envConfig{})
	var mu sync.Mutex
	gets, metaGets := map[meta.Kind]int{}, map[meta.Kind]int{}
	counted := storecount.New(e.st, storecount.WithObserver(func(op storecount.Op, ref meta.Ref) {
		mu.Lock()
		defer mu.Unlock()
		switch op {
		case storecount.Get:
			gets[ref.Kind]++
		case storecount.GetMeta:
			metaGets[ref.Kind]++
		}
	}))
	deps := e.deps
	deps.Store = counted
	opts := order.Options{Clients: staticClients{e.cl}, RetryAfter: e.rec.RetryAfter, PollInterval: 20 * time.Millisecond}
	orders := order.NewReconciler(deps, opts)
	ref := e.newOrder(ctx, "a.example.test")

	_, err := orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	o := e.getOrder(ctx, ref)
	require.NotEmpty(t, o.Status.URL)
	require.Len(t, o.Status.Authorizations, 1)
	require.Len(t, e.challenges(ctx, ref), 1, "opened, authorization read, Challenge created: one visit")
	mu.Lock()
	assert.Equal(t, 1, gets[meta.KindIssuer], "issuer reads")
	assert.Equal(t, 1, gets[meta.KindOrder], "order reads: the load")
	assert.Equal(t, 1, metaGets[meta.KindOrder], "order metadata reads: newOrder's freshness check under its claim")
	mu.Unlock()

	o = e.drive(ctx, ref, orders, e.chals)
	require.Equal(t, order.StateValid, o.Status.State, o.Status.Reason)
}
