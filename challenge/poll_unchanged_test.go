package challenge_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/solver"
)

// A look at the authorization that finds it as status records it writes
// nothing (reconcile.Defer) and says when to look next; the decision's
// Observer is told the step went as planned, not that it failed.
func TestUnchangedAuthorizationIsNotWrittenAndIsNoError(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true,
		Accepting: true, Accepted: true, State: challenge.StateProcessing})
	f.ca.challenge = acme.StatusProcessing // and stays so
	var mu sync.Mutex
	var ends []error
	observe := func(kind meta.Kind, _ any, _ *reconcile.Plan) func(time.Time, error) {
		return func(_ time.Time, err error) {
			mu.Lock()
			defer mu.Unlock()
			ends = append(ends, err)
		}
	}
	r := challenge.NewReconciler(reconcile.Deps{Store: f.st, Clock: f.clk, Owner: "a", Observer: observe}, challenge.Options{
		OrderState: order.OwnerState,
		Clients:    f.ca,
		SolverFor:  func(context.Context, *challenge.Challenge) (solver.Solver, error) { return f.fs, nil },
	})
	rv := f.get(ctx, t).ObjectMeta.ResourceVersion

	next, err := r.Reconcile(ctx, f.ref)
	require.NoError(t, err)
	assert.True(t, next.After(f.clk.Now()), "looks again later: %s", next)
	assert.Equal(t, rv, f.get(ctx, t).ObjectMeta.ResourceVersion, "nothing written")
	_, reads := f.ca.counts()
	assert.Equal(t, 1, reads)
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, ends, 1, "one decision: the look")
	assert.NoError(t, ends[0], "the Observer is told no error")
}
