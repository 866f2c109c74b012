package order_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/reconcile"
)

// The visit that opens an order at the CA and creates its Challenges ends
// with an idle decision on the version it wrote last (pending, waiting for
// the Challenges), so the Manager queues no visit for that write.
func TestReconcile_SettlesOnItsOwnWrite(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 60*time.Second)
	e := newEnv(ctx, t, envConfig{})
	type seen struct {
		version string
		idle    bool
	}
	var mu sync.Mutex
	var decisions []seen
	deps := e.deps
	deps.Observer = func(_ meta.Kind, _ any, p *reconcile.Plan) func(time.Time, error) {
		mu.Lock()
		defer mu.Unlock()
		decisions = append(decisions, seen{p.Object.GetMeta().ResourceVersion, p.Idle()})
		return nil
	}
	orders := order.NewReconciler(deps, order.Options{Clients: staticClients{e.cl}, RetryAfter: e.rec.RetryAfter, PollInterval: 20 * time.Millisecond})
	ref := e.newOrder(ctx, "settle.example.test")

	_, err := orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	o := e.getOrder(ctx, ref)
	require.Equal(t, order.StatePending, o.Status.State)
	require.Len(t, e.challenges(ctx, ref), 1, "its Challenge is created")
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, decisions)
	last := decisions[len(decisions)-1]
	assert.Equal(t, seen{o.ObjectMeta.ResourceVersion, true}, last, "the last decision is to wait, on the version stored")
}
