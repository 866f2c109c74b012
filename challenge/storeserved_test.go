package challenge_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/solver"
)

// servedSolver is a fakeSolver whose answer the Store holds
// (solver.StoreServed), as the built-in HTTP-01 and TLS-ALPN-01 solvers.
type servedSolver struct{ *fakeSolver }

func (servedSolver) ServedFromStore() {}

// declared wraps a solver and declares itself StoreServed, as the
// Manager's metrics wrapper does around a solver that is.
type declared struct{ solver.Solver }

func (declared) ServedFromStore() {}

// unwrapping wraps a solver with only an Unwrap method, as a user's
// wrapper around a built-in solver that also changes something outside the
// Store (opens a port): it is not StoreServed, whatever it wraps.
type unwrapping struct{ solver.Solver }

func (u unwrapping) Unwrap() solver.Solver { return u.Solver }

// A challenge whose solver changes nothing outside the Store records no
// intent before Present and takes no claim around Present and CleanUp: one
// write stores Processing and Presented together, and the only claim is
// the accept's (which guards a POST the CA sees). The solver is still
// called for both, and the challenge goes through the same states. Any
// other solver keeps its intent write and its claims, a wrapper around a
// store-served one included.
func TestStoreServedSolverPresentsAndCleansUpWithoutIntentOrClaim(t *testing.T) {
	for _, tc := range []struct {
		name              string
		wrap              func(*fakeSolver) solver.Solver
		served            bool
		updates, acquires int64
	}{
		{"store-served", func(fs *fakeSolver) solver.Solver { return declared{servedSolver{fs}} }, true, 4, 1},
		{"outside world", func(fs *fakeSolver) solver.Solver { return fs }, false, 6, 3},
		{"wrapper of store-served", func(fs *fakeSolver) solver.Solver { return unwrapping{servedSolver{fs}} }, false, 6, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			f := newCAFixture(ctx, t, challenge.Status{})
			f.ca.validAfterReads = 1
			s := tc.wrap(f.fs)
			var firstWrite atomic.Pointer[challenge.Challenge]
			counted := storecount.New(f.st)
			deps := reconcile.Deps{Store: &firstUpdate{Store: counted, seen: &firstWrite}, Clock: f.clk, Owner: "a"}
			r := challenge.NewReconciler(deps, challenge.Options{
				Clients:    f.ca,
				SolverFor:  func(context.Context, *challenge.Challenge) (solver.Solver, error) { return s, nil },
				OrderState: order.OwnerState,
			})
			for i := 0; !f.get(ctx, t).Status.CleanedUp; i++ {
				require.Less(t, i, 10, "cleaned up within 10 visits")
				next, err := r.Reconcile(ctx, f.ref)
				require.NoError(t, err)
				if next.After(f.clk.Now()) {
					f.clk.Set(next)
				}
			}
			ch := f.get(ctx, t)
			assert.Equal(t, challenge.StateValid, ch.Status.State)
			assert.False(t, ch.Status.Presented || ch.Status.Processing, "withdrawn")
			presents, cleanups := f.fs.counts()
			assert.Equal(t, 1, presents, "Present called")
			assert.Equal(t, 1, cleanups, "CleanUp called")
			c := counted.Counts()
			assert.Equal(t, tc.updates, c.Of(storecount.Update), "writes of the challenge")
			assert.Equal(t, tc.acquires, c.Of(storecount.Acquire), "claims")
			first := firstWrite.Load()
			require.NotNil(t, first)
			if tc.served {
				assert.True(t, first.Status.Processing && first.Status.Presented, "the first write records the presented challenge")
				assert.Equal(t, challenge.StatePending, first.Status.State)
			} else {
				assert.True(t, first.Status.Processing && !first.Status.Presented, "the first write is the intent")
			}
		})
	}
}

// firstUpdate keeps a copy of the first Challenge written through it.
type firstUpdate struct {
	*storecount.Store
	seen *atomic.Pointer[challenge.Challenge]
}

func (s *firstUpdate) Update(ctx context.Context, obj meta.Object) error {
	if ch, ok := obj.(*challenge.Challenge); ok {
		c := *ch
		s.seen.CompareAndSwap(nil, &c)
	}
	return s.Store.Update(ctx, obj)
}
