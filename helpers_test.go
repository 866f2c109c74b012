package certflow

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// The resource builders, Store waits and the acmetest rig live in
// internal/testrig, shared with the end-to-end tests in e2e; what follows
// needs the Manager's internals.

type harness struct {
	t     *testing.T
	ctx   context.Context
	clock *clock.Fake
	store *memory.Store
	m     *Manager
}

// startManager runs a Manager on a memory store and a fake clock until the
// test ends, and fails the test if Run does not return after cancellation.
func startManager(t *testing.T, mutate func(*Config)) *harness {
	t.Helper()
	return startManagerHooked(t, mutate, nil)
}

// startManagerHooked is startManager with a hook, if not nil, that may
// change the Manager (its reconcilers) before it runs.
func startManagerHooked(t *testing.T, mutate func(*Config), hook func(*Manager)) *harness {
	t.Helper()
	ctx := testrig.Context(t)
	clk := clock.NewFake(testrig.Epoch)
	st := memory.New(memory.WithClock(clk))
	cfg := Config{Store: st, Clock: clk, Workers: 4}
	if mutate != nil {
		mutate(&cfg)
	}
	m, err := New(cfg)
	require.NoError(t, err)
	if hook != nil {
		hook(m)
	}
	testrig.Run(t, ctx, 10*time.Second, m.Run)
	return &harness{t: t, ctx: ctx, clock: clk, store: st, m: m}
}

// explain renders the status tree below ref for a failure message.
func (h *harness) explain(ref meta.Ref) func() string {
	return func() string {
		st, _ := h.m.Status(context.Background(), ref)
		return st.String()
	}
}

// waitFor blocks until cond holds for the object named ref, re-checking on
// every Store change, or fails the test at the harness deadline.
func waitFor[T any, PT interface {
	*T
	meta.Object
}](h *harness, ref meta.Ref, what string, cond func(PT) bool) PT {
	h.t.Helper()
	return testrig.WaitFor[T, PT](h.t, h.ctx, h.store, ref, what, cond, h.explain(ref))
}

// waitUntil blocks until cond holds, re-checking on every Store change.
func (h *harness) waitUntil(what string, cond func() bool) {
	h.t.Helper()
	testrig.Await(h.t, h.ctx, h.store, what, cond, nil)
}

// setupCA applies a CA Secret and Issuer and waits until the issuer is Ready.
func (h *harness) setupCA(ns, name string) {
	h.t.Helper()
	require.NoError(h.t, h.m.Apply(h.ctx, testrig.CASecret(h.t, ns, name+"-ca", h.clock.Now())))
	require.NoError(h.t, h.m.Apply(h.ctx, testrig.CAIssuer(ns, name, name+"-ca")))
	waitFor(h, meta.Ref{Kind: meta.KindIssuer, Namespace: ns, Name: name}, "issuer Ready",
		func(i *issuer.Issuer) bool { return i.Status.Conditions.IsTrue(meta.ConditionReady) })
}

// acmeHarness runs a Manager (real clock) against testrig's acmetest rig,
// for the root's tests that watch the Manager's internals while it talks to
// a CA (the budget simulation, garbage collection across a restart). The
// end-to-end tests have their own, public-API-only one in e2e.
type acmeHarness struct {
	t    *testing.T
	ctx  context.Context
	acme *testrig.ACME
	cfg  Config
	m    *Manager
	st   store.Store // the running Manager's Store
	stop func()
}

type acmeSetup struct {
	acmeOpts []acmetest.Option
	config   func(*Config)
	store    store.Store
	httpWrap func(http.Handler) http.Handler
}

func startACME(t *testing.T, setup acmeSetup) *acmeHarness {
	t.Helper()
	ctx := testrig.Context(t)
	rig := testrig.StartACME(t, setup.httpWrap, setup.acmeOpts...)
	cfg := Config{Workers: 4, BackoffMin: time.Hour}.WithTestCA(rig)
	if setup.config != nil {
		setup.config(&cfg)
	}
	h := &acmeHarness{t: t, ctx: ctx, acme: rig, cfg: cfg}
	if setup.store == nil {
		setup.store = memory.New()
	}
	h.startManager(setup.store)
	return h
}

// startManager runs a new Manager with the harness's Config on st.
func (h *acmeHarness) startManager(st store.Store) {
	h.t.Helper()
	cfg := h.cfg
	cfg.Store = st
	m, err := New(cfg)
	require.NoError(h.t, err)
	h.m, h.st = m, st
	h.acme.Serve(m)
	h.stop = testrig.Run(h.t, h.ctx, 20*time.Second, m.Run)
}

// stopManager cancels the running Manager and waits until Run returned.
func (h *acmeHarness) stopManager() { h.stop() }

// awaitStore blocks until cond holds, re-checking it on every change of the
// running Manager's Store, or fails the test at the harness deadline.
func (h *acmeHarness) awaitStore(what string, cond func() bool) {
	h.t.Helper()
	testrig.Await(h.t, h.ctx, h.st, what, cond, nil)
}

// poll blocks until cond holds, or fails the test at the harness deadline:
// for what changes without a Store write to wake awaitStore (a CA's
// request counts, the work queue). See testrig.Poll.
func (h *acmeHarness) poll(what string, cond func() bool) {
	h.t.Helper()
	testrig.Poll(h.t, h.ctx, what, cond)
}
