package challenge_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// gate hands out slots of an account while open, and counts them.
type gate struct {
	mu      sync.Mutex
	closed  time.Time // while non-zero, no slot; the retry time
	taken   int
	held    int
	wakeups []func()
}

func (g *gate) Slot(_ issuer.Object, _ string, wake func()) (func(), time.Time, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.closed.IsZero() {
		if wake != nil {
			g.wakeups = append(g.wakeups, wake)
		}
		return nil, g.closed, false
	}
	g.taken++
	g.held++
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			defer g.mu.Unlock()
			g.held--
		})
	}, time.Time{}, true
}

// A challenge ready to be accepted takes its account's slot before the
// accept intent is written: with no slot free nothing is recorded, so once
// a slot comes the challenge is accepted at once instead of first reading
// the authorization as if an accept might have been sent.
func TestAcceptWaitsForASlotBeforeRecordingItsIntent(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true, State: challenge.StatePending})
	g := &gate{closed: f.clk.Now().Add(2 * time.Second)}
	r := challenge.NewReconciler(reconcile.Deps{Store: f.st, Clock: f.clk, Owner: "m"}, challenge.Options{
		OrderState: order.OwnerState,
		Clients:    f.ca,
		Accounts:   g,
		SolverFor:  func(context.Context, *challenge.Challenge) (solver.Solver, error) { return f.fs, nil },
	})
	rv := f.get(ctx, t).ObjectMeta.ResourceVersion

	next, err := r.Reconcile(ctx, f.ref)
	require.NoError(t, err)
	assert.Equal(t, g.closed, next, "looks again when the account has a slot")
	ch := f.get(ctx, t)
	assert.False(t, ch.Status.Accepting, "no intent recorded without a slot")
	assert.Equal(t, rv, ch.ObjectMeta.ResourceVersion, "nothing written")
	accepts, reads := f.ca.counts()
	assert.Zero(t, accepts)
	assert.Zero(t, reads)

	g.mu.Lock()
	g.closed = time.Time{}
	g.mu.Unlock()
	_, err = r.Reconcile(ctx, f.ref)
	require.NoError(t, err)
	ch = f.get(ctx, t)
	assert.True(t, ch.Status.Accepted)
	accepts, reads = f.ca.counts()
	assert.Equal(t, 1, accepts)
	assert.LessOrEqual(t, reads, 1, "no resume read before the accept")
	assert.Positive(t, g.taken)
	assert.Zero(t, g.held, "every slot was given back")
}

// ownerStore records the owners of the claims taken.
type ownerStore struct {
	*memory.Store
	mu     sync.Mutex
	owners []string
}

func (s *ownerStore) Acquire(ctx context.Context, name, owner string, ttl time.Duration) (store.Lease, error) {
	s.mu.Lock()
	s.owners = append(s.owners, owner)
	s.mu.Unlock()
	return s.Store.Acquire(ctx, name, owner, ttl)
}

// A challenge's claims are taken under the Manager's owner token (one per
// Manager) when it has one, LockOwner being the fallback.
func TestChallengeClaimsUseTheManagersOwner(t *testing.T) {
	ctx := testCtx(t)
	for _, tc := range []struct{ deps, lock, want string }{
		{"manager-1", "configured", "manager-1/default/c1"},
		{"", "configured", "configured/default/c1"},
	} {
		f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true, State: challenge.StatePending})
		st := &ownerStore{Store: f.st}
		r := challenge.NewReconciler(reconcile.Deps{Store: st, Clock: f.clk, Owner: tc.deps}, challenge.Options{
			OrderState: order.OwnerState,
			Clients:    f.ca,
			LockOwner:  tc.lock,
			SolverFor:  func(context.Context, *challenge.Challenge) (solver.Solver, error) { return f.fs, nil },
		})
		_, err := r.Reconcile(ctx, f.ref)
		require.NoError(t, err)
		require.NotEmpty(t, st.owners)
		for _, o := range st.owners {
			assert.Equal(t, tc.want, o)
		}
	}
}
