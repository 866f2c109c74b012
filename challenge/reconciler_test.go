package challenge_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store/memory"
)

// fakeSolver records calls; checkErr, if set, makes Check fail, presentErr
// every Present.
type fakeSolver struct {
	mu                   sync.Mutex
	presents, cleanup    int
	checkErr, presentErr error
}

func (f *fakeSolver) Present(context.Context, solver.Challenge) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.presents++
	return f.presentErr
}

func (f *fakeSolver) CleanUp(context.Context, solver.Challenge) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cleanup++
	return nil
}

func (f *fakeSolver) Check(context.Context, solver.Challenge) error { return f.checkErr }

func (f *fakeSolver) counts() (int, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.presents, f.cleanup
}

// noClients fails every client request: these tests never reach the CA.
type noClients struct{}

var errNoCA = errors.New("no CA in this test")

func (noClients) Client(context.Context, issuer.Object) (*acme.Client, error) { return nil, errNoCA }

type fixture struct {
	clk *clock.Fake
	st  *memory.Store
	fs  *fakeSolver
	r   *challenge.Reconciler
}

func newFixture(t *testing.T, fs *fakeSolver) *fixture {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	st := memory.New(memory.WithClock(clk))
	require.NoError(t, st.Create(context.Background(), &issuer.Issuer{
		ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "acme"},
		Spec:       issuer.Spec{ACME: &issuer.ACMEIssuer{Server: "https://ca.test/dir"}},
	}))
	r := challenge.NewReconciler(reconcile.Deps{Store: st, Clock: clk}, challenge.Options{
		OrderState:        order.OwnerState,
		Clients:           noClients{},
		SolverFor:         func(context.Context, *challenge.Challenge) (solver.Solver, error) { return fs, nil },
		SelfCheckInterval: time.Second,
		SelfCheckTimeout:  time.Minute,
		LockRetry:         500 * time.Millisecond,
		LockOwner:         "replica-a",
	})
	return &fixture{clk: clk, st: st, fs: fs, r: r}
}

func (f *fixture) create(ctx context.Context, t *testing.T, typ solver.Type, status challenge.Status) meta.Ref {
	t.Helper()
	ch := &challenge.Challenge{
		ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "c1"},
		Spec: challenge.Spec{
			URL: "https://ca.test/chal/1", AuthorizationURL: "https://ca.test/authz/1",
			DNSName: "a.example.test", Type: typ, Token: "tok", Key: "tok.thumb",
			IssuerRef: meta.IssuerRef{Name: "acme"},
		},
		Status: status,
	}
	require.NoError(t, f.st.Create(ctx, ch))
	return meta.RefOf(ch)
}

func (f *fixture) get(ctx context.Context, t *testing.T, ref meta.Ref) *challenge.Challenge {
	t.Helper()
	ch := &challenge.Challenge{}
	require.NoError(t, f.st.Get(ctx, ref, ch))
	return ch
}

func TestDNS01PresentWaitsForTheRecordLockAndMarksPresentedBeforeAccept(t *testing.T) {
	ctx := testCtx(t)
	f := newFixture(t, &fakeSolver{})
	ref := f.create(ctx, t, solver.DNS01, challenge.Status{})
	lease, err := f.st.Acquire(ctx, "dns01:_acme-challenge.a.example.test.", "replica-b/default/other", time.Minute)
	require.NoError(t, err)

	next, err := f.r.Reconcile(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, f.clk.Now().Add(500*time.Millisecond), next, "retries after LockRetry")
	presents, _ := f.fs.counts()
	assert.Zero(t, presents, "Present waits for the lock")
	ch := f.get(ctx, t, ref)
	assert.True(t, ch.Status.Processing, "the intent to present is recorded first")
	assert.False(t, ch.Status.Presented)

	require.NoError(t, f.st.Release(ctx, lease))
	_, err = f.r.Reconcile(ctx, ref)
	require.ErrorIs(t, err, errNoCA, "Accept needs the CA, which this test lacks")
	presents, _ = f.fs.counts()
	assert.Equal(t, 1, presents)
	ch = f.get(ctx, t, ref)
	assert.True(t, ch.Status.Presented, "Presented is stored before self-check and Accept")
	require.NotNil(t, ch.Status.PresentedAt)
	assert.True(t, ch.Status.PresentedAt.Equal(f.clk.Now()))
	assert.False(t, ch.Status.Accepted)

	_, err = f.st.Acquire(ctx, "dns01:_acme-challenge.a.example.test.", "replica-b/default/other", time.Minute)
	assert.NoError(t, err, "the lock was released after Present")
}

func TestSelfCheckGivesUpAfterItsDeadlineAndCleansUp(t *testing.T) {
	ctx := testCtx(t)
	f := newFixture(t, &fakeSolver{checkErr: errors.New("ns1.example.test. answered NXDOMAIN")})
	ref := f.create(ctx, t, solver.DNS01, challenge.Status{})

	next, err := f.r.Reconcile(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, f.clk.Now().Add(time.Second), next)
	ch := f.get(ctx, t, ref)
	assert.Equal(t, "self-check: ns1.example.test. answered NXDOMAIN", ch.Status.Reason)
	assert.False(t, ch.Status.State.IsFinal())

	f.clk.Advance(time.Minute)
	next, err = f.r.Reconcile(ctx, ref)
	require.NoError(t, err)
	assert.True(t, next.IsZero())
	ch = f.get(ctx, t, ref)
	assert.Equal(t, challenge.StateErrored, ch.Status.State)
	assert.Contains(t, ch.Status.Reason, "self-check: ns1.example.test. answered NXDOMAIN (gave up after 1m0s)")
	assert.True(t, ch.Status.CleanedUp)
	_, cleanups := f.fs.counts()
	assert.Equal(t, 1, cleanups)
}

// A failed HTTP-01 or TLS-ALPN-01 self-check is tried again soon, the
// pause doubling from PollInterval up to SelfCheckInterval: the answer is
// served by this process (or a replica a moment behind). DNS-01 waits
// SelfCheckInterval between checks (see above).
func TestServedSelfCheckRetriesDouble(t *testing.T) {
	for _, typ := range []solver.Type{solver.HTTP01, solver.TLSALPN01} {
		t.Run(string(typ), func(t *testing.T) {
			ctx := testCtx(t)
			f := newFixture(t, &fakeSolver{checkErr: errors.New("connection refused")})
			ref := f.create(ctx, t, typ, challenge.Status{})
			var pauses []time.Duration
			for range 10 {
				next, err := f.r.Reconcile(ctx, ref)
				require.NoError(t, err)
				pauses = append(pauses, next.Sub(f.clk.Now()))
				f.clk.Set(next)
			}
			ms := time.Millisecond
			assert.Equal(t, []time.Duration{5 * ms, 10 * ms, 20 * ms, 40 * ms, 80 * ms, 160 * ms, 320 * ms, 640 * ms, time.Second, time.Second}, pauses)
			assert.Equal(t, 10, f.get(ctx, t, ref).Status.SelfCheckFailures)
		})
	}
}

func TestFinalPresentedChallengeIsCleanedUpAfterRestart(t *testing.T) {
	ctx := testCtx(t)
	f := newFixture(t, &fakeSolver{})
	now := f.clk.Now()
	ref := f.create(ctx, t, solver.HTTP01, challenge.Status{
		Processing: true, Presented: true, PresentedAt: &now, Accepted: true,
		State: challenge.StateInvalid, Reason: "authorization failed",
	})

	next, err := f.r.Reconcile(ctx, ref)
	require.NoError(t, err)
	assert.True(t, next.IsZero())
	ch := f.get(ctx, t, ref)
	assert.True(t, ch.Status.CleanedUp)
	assert.False(t, challenge.Serving(ch))
	assert.Equal(t, "authorization failed", ch.Status.Reason, "the failure reason survives cleanup")
	_, cleanups := f.fs.counts()
	assert.Equal(t, 1, cleanups)

	_, err = f.r.Reconcile(ctx, ref)
	require.NoError(t, err)
	_, cleanups = f.fs.counts()
	assert.Equal(t, 1, cleanups, "cleanup runs once")
}

func TestChallengeTimesOutAndCleansUp(t *testing.T) {
	ctx := testCtx(t)
	f := newFixture(t, &fakeSolver{})
	now := f.clk.Now()
	ref := f.create(ctx, t, solver.HTTP01, challenge.Status{Processing: true, Presented: true, PresentedAt: &now, Accepted: true, State: challenge.StateProcessing})

	f.clk.Advance(30 * time.Minute)
	_, err := f.r.Reconcile(ctx, ref)
	require.NoError(t, err)
	ch := f.get(ctx, t, ref)
	assert.Equal(t, challenge.StateErrored, ch.Status.State)
	assert.Contains(t, ch.Status.Reason, "challenge not finished within 30m0s")
	assert.True(t, ch.Status.CleanedUp)
}

func TestSafeToDelete(t *testing.T) {
	tests := []struct {
		name   string
		status challenge.Status
		want   bool
	}{
		{"never presented", challenge.Status{}, true},
		{"present attempted", challenge.Status{Processing: true}, false},
		{"presented", challenge.Status{Processing: true, Presented: true}, false},
		{"final but not cleaned", challenge.Status{Presented: true, State: challenge.StateValid}, false},
		{"cleaned up", challenge.Status{CleanedUp: true, State: challenge.StateValid}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, challenge.SafeToDelete(&challenge.Challenge{Status: tt.status}))
		})
	}
}

func TestReasonForInvalidAuthorizationNamesChallengeAndDetail(t *testing.T) {
	authz := &acme.Authorization{
		Status:     acme.StatusInvalid,
		Identifier: acme.AuthzID{Type: "dns", Value: "example.test"},
		Wildcard:   true,
		Challenges: []*acme.Challenge{
			{URI: "u1", Type: "dns-01", Status: acme.StatusInvalid, Error: &acme.Error{ProblemType: "urn:ietf:params:acme:error:dns", Detail: "no TXT record"}},
		},
	}
	assert.Equal(t, `authorization for "*.example.test" is invalid: dns-01: urn:ietf:params:acme:error:dns: no TXT record`, challenge.FailureReason(authz, "u1"))
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// The Order's state has one reader, Options.OrderState (order.OwnerState):
// a reconciler without it is misconfigured, and says so before touching
// the Challenge.
func TestReconcilerWithoutOrderStateIsMisconfigured(t *testing.T) {
	ctx := testCtx(t)
	f := newFixture(t, &fakeSolver{})
	ref := f.create(ctx, t, solver.HTTP01, challenge.Status{})
	r := challenge.NewReconciler(reconcile.Deps{Store: f.st, Clock: f.clk}, challenge.Options{
		Clients:   noClients{},
		SolverFor: func(context.Context, *challenge.Challenge) (solver.Solver, error) { return f.fs, nil },
	})
	_, err := r.Reconcile(ctx, ref)
	require.ErrorIs(t, err, challenge.ErrMisconfigured)
	assert.Contains(t, err.Error(), "OrderState")
	presents, _ := f.fs.counts()
	assert.Zero(t, presents, "nothing presented")
}

func TestChallengeOfAGoneOrFailedOrderIsAbandonedAndCleanedUp(t *testing.T) {
	tests := []struct {
		name       string
		order      *order.Order // nil: the owner does not exist
		wantReason string
	}{
		{name: "owner deleted", wantReason: "abandoned: order o1 was deleted"},
		{name: "owner failed", order: &order.Order{
			ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "o1"},
			Status:     order.Status{State: order.StateErrored},
		}, wantReason: "abandoned: order o1 is errored"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t)
			f := newFixture(t, &fakeSolver{checkErr: errors.New("not yet")})
			if tt.order != nil {
				require.NoError(t, f.st.Create(ctx, tt.order))
			}
			ch := &challenge.Challenge{
				ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "c1",
					OwnerRefs: []meta.Ref{{Kind: meta.KindOrder, Namespace: "default", Name: "o1"}}},
				Spec:   challenge.Spec{DNSName: "a.example.test", Type: solver.DNS01, Key: "k", IssuerRef: meta.IssuerRef{Name: "acme"}},
				Status: challenge.Status{Processing: true, Presented: true},
			}
			require.NoError(t, f.st.Create(ctx, ch))

			_, err := f.r.Reconcile(ctx, meta.RefOf(ch))
			require.NoError(t, err)
			got := f.get(ctx, t, meta.RefOf(ch))
			assert.Equal(t, challenge.StateErrored, got.Status.State)
			assert.Equal(t, tt.wantReason, got.Status.Reason)
			assert.True(t, got.Status.CleanedUp)
			_, cleanups := f.fs.counts()
			assert.Equal(t, 1, cleanups)
		})
	}
}
