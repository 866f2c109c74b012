package challenge_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/solver"
)

// The CA's verdict on a challenge whose solver changes nothing outside the
// Store is stored with its clean-up in one write (which wakes the Order
// once), and its event is recorded after that write; any other solver's
// verdict is stored before its CleanUp is called, as the Order should not
// wait for a DNS provider to learn that the challenge is valid.
func TestStoreServedVerdictIsStoredWithItsCleanUp(t *testing.T) {
	for _, tc := range []struct {
		name    string
		wrap    func(*fakeSolver) solver.Solver
		updates int64
	}{
		{"store-served", func(fs *fakeSolver) solver.Solver { return declared{servedSolver{fs}} }, 1},
		{"outside world", func(fs *fakeSolver) solver.Solver { return fs }, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true,
				Accepting: true, Accepted: true, State: challenge.StateProcessing})
			f.ca.challenge, f.ca.validAfterReads = acme.StatusProcessing, 1
			s := tc.wrap(f.fs)
			counted := storecount.New(f.st)
			var writes []challenge.Status
			var mu sync.Mutex
			ev := &stateAtEvent{st: f.st, ref: f.ref}
			r := challenge.NewReconciler(reconcile.Deps{Store: &statusLog{Store: counted, mu: &mu, log: &writes}, Clock: f.clk, Owner: "a", Events: ev},
				challenge.Options{
					Clients:    f.ca,
					SolverFor:  func(context.Context, *challenge.Challenge) (solver.Solver, error) { return s, nil },
					OrderState: order.OwnerState,
				})

			_, err := r.Reconcile(ctx, f.ref)
			require.NoError(t, err)

			ch := f.get(ctx, t)
			assert.Equal(t, challenge.StateValid, ch.Status.State)
			assert.True(t, ch.Status.CleanedUp)
			assert.Equal(t, tc.updates, counted.Counts().Of(storecount.Update), "writes of the challenge")
			mu.Lock()
			require.NotEmpty(t, writes)
			assert.Equal(t, challenge.StateValid, writes[0].State, "the first write stores the verdict")
			mu.Unlock()
			seen := ev.seen()
			require.Contains(t, seen, challenge.ReasonValid)
			assert.Equal(t, challenge.StateValid, seen[challenge.ReasonValid], "the verdict's event follows its write")
			_, reads := f.ca.counts()
			assert.Equal(t, 1, reads)
		})
	}
}

// statusLog records the status of each Challenge written through it.
type statusLog struct {
	*storecount.Store
	mu  *sync.Mutex
	log *[]challenge.Status
}

func (s *statusLog) Update(ctx context.Context, obj meta.Object) error {
	if ch, ok := obj.(*challenge.Challenge); ok {
		s.mu.Lock()
		*s.log = append(*s.log, ch.Status)
		s.mu.Unlock()
	}
	return s.Store.Update(ctx, obj)
}

// stateAtEvent records, for each event reason, the state of the Challenge
// in the Store when the event was recorded.
type stateAtEvent struct {
	st interface {
		Get(context.Context, meta.Ref, meta.Object) error
	}
	ref meta.Ref
	mu  sync.Mutex
	at  map[meta.Reason]challenge.State
}

func (e *stateAtEvent) Event(_ meta.Ref, _ meta.EventType, reason meta.Reason, _ string) {
	ch := &challenge.Challenge{}
	if err := e.st.Get(context.Background(), e.ref, ch); err != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.at == nil {
		e.at = map[meta.Reason]challenge.State{}
	}
	e.at[reason] = ch.Status.State
}

func (e *stateAtEvent) seen() map[meta.Reason]challenge.State {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.at
}

// failingCleanUp is a StoreServed solver whose CleanUp fails (the Store
// it serves from is down).
type failingCleanUp struct{ *fakeSolver }

func (failingCleanUp) ServedFromStore() {}
func (failingCleanUp) CleanUp(context.Context, solver.Challenge) error {
	return errors.New("store hiccup")
}

// A StoreServed challenge's verdict waits for its clean-up's write; when
// that clean-up fails, the verdict is stored anyway (without CleanedUp),
// with its event after it: the Order learns it, and the retries of the
// clean-up neither ask the CA again nor fail a validated challenge.
func TestStoreServedVerdictIsStoredWhenItsCleanUpFails(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true,
		Accepting: true, Accepted: true, State: challenge.StateProcessing})
	f.ca.challenge, f.ca.validAfterReads = acme.StatusProcessing, 1
	s := failingCleanUp{f.fs}
	ev := &stateAtEvent{st: f.st, ref: f.ref}
	r := challenge.NewReconciler(reconcile.Deps{Store: f.st, Clock: f.clk, Owner: "a", Events: ev},
		challenge.Options{
			Clients:    f.ca,
			SolverFor:  func(context.Context, *challenge.Challenge) (solver.Solver, error) { return s, nil },
			OrderState: order.OwnerState,
		})
	for range 3 {
		_, err := r.Reconcile(ctx, f.ref)
		require.ErrorContains(t, err, "store hiccup", "the clean-up's failure is returned, to be retried")
	}
	ch := f.get(ctx, t)
	assert.Equal(t, challenge.StateValid, ch.Status.State, "the verdict is stored although the clean-up failed")
	assert.False(t, ch.Status.CleanedUp, "not cleaned up: the clean-up is retried")
	_, reads := f.ca.counts()
	assert.Equal(t, 1, reads, "the CA is asked once: the retries read the stored verdict")
	seen := ev.seen()
	require.Contains(t, seen, challenge.ReasonValid, "the verdict's event is recorded")
	assert.Equal(t, challenge.StateValid, seen[challenge.ReasonValid], "after the verdict's write")
}
