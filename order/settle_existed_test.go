package order_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/store"
)

// challengeStoredFirst plays another replica, or an earlier visit that
// ended before deciding on its Challenge: when this visit creates a
// Challenge, one of the same name, already failed, is stored first.
type challengeStoredFirst struct {
	store.Store
	t      *testing.T
	stored bool
}

func (s *challengeStoredFirst) Create(ctx context.Context, obj meta.Object) error {
	if ch, ok := obj.(*challenge.Challenge); ok && !s.stored {
		s.stored = true
		theirs := &challenge.Challenge{TypeMeta: ch.TypeMeta, ObjectMeta: ch.ObjectMeta, Spec: ch.Spec,
			Status: challenge.Status{State: challenge.StateInvalid, Reason: "failed at another replica"}}
		require.NoError(s.t, s.Store.Create(ctx, theirs))
	}
	return s.Store.Create(ctx, obj)
}

// A visit whose Challenge turns out to be stored already (and failed)
// does not decide on the Challenge it meant to create: the Order is
// looked at again at once, and that visit fails the order on the
// Challenge stored.
func TestReconcile_ChallengeStoredAlreadyIsDecidedOnAsStored(t *testing.T) {
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
	deps.Store = &challengeStoredFirst{Store: e.st, t: t}
	deps.Observer = func(_ meta.Kind, _ any, p *reconcile.Plan) func(time.Time, error) {
		mu.Lock()
		defer mu.Unlock()
		decisions = append(decisions, seen{p.Object.GetMeta().ResourceVersion, p.Idle()})
		return nil
	}
	opts := order.Options{Clients: staticClients{e.cl}, RetryAfter: e.rec.RetryAfter, PollInterval: 20 * time.Millisecond}
	ref := e.newOrder(ctx, "existed.example.test")

	next, err := order.NewReconciler(deps, opts).Reconcile(ctx, ref)
	require.NoError(t, err)
	written := e.getOrder(ctx, ref)
	require.Equal(t, order.StatePending, written.Status.State, "the plan that created the Challenge waited for it")
	mu.Lock()
	for _, d := range decisions {
		assert.NotEqual(t, seen{written.ObjectMeta.ResourceVersion, true}, d,
			"no decision on the version written, made with the Challenge the plan meant to create")
	}
	mu.Unlock()
	require.False(t, next.IsZero(), "looked at again")
	assert.False(t, next.After(e.clk.Now()), "at once")

	_, err = order.NewReconciler(e.deps, opts).Reconcile(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, order.StateInvalid, e.getOrder(ctx, ref).Status.State, "decided on the Challenge stored")
}
