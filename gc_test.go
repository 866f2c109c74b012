package certflow

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
	"github.com/certflow/certflow/store/memory"
)

// recorder wraps reconcilers and counts the calls for each ref that still
// existed when called (a deleted object is reconciled only to be forgotten).
type recorder struct {
	st    store.Reader
	mu    sync.Mutex
	calls map[meta.Ref]int
}

func (r *recorder) wrap(inner reconcile.Reconciler) reconcile.Reconciler {
	return reconcileFunc(func(ctx context.Context, ref meta.Ref) (time.Time, error) {
		if r.st != nil && gone(r.st, ref) {
			return inner.Reconcile(ctx, ref)
		}
		r.mu.Lock()
		if r.calls == nil {
			r.calls = map[meta.Ref]int{}
		}
		r.calls[ref]++
		r.mu.Unlock()
		return inner.Reconcile(ctx, ref)
	})
}

func (r *recorder) count(ref meta.Ref) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[ref]
}

func gone(st store.Reader, ref meta.Ref) bool {
	err := st.Get(context.Background(), ref, &probe{})
	return errors.Is(err, store.ErrNotFound)
}

// orphanTree stores what a Certificate named cert leaves behind when it is
// deleted without collection: a request, its order, an unpresented
// challenge of that order, its temporary key and its TLS Secret.
func orphanTree(t *testing.T, st store.Store, ns, cert string) (req, ord, ch, nextKey, tlsSecret meta.Ref) {
	t.Helper()
	ctx := context.Background()
	owner := testrig.CertRef(ns, cert)
	r := &request.CertificateRequest{ObjectMeta: meta.ObjectMeta{Namespace: ns, Name: cert + "-1", OwnerRefs: []meta.Ref{owner}},
		Spec: request.Spec{IssuerRef: meta.IssuerRef{Name: "acme"}}}
	require.NoError(t, st.Create(ctx, r))
	o := &order.Order{ObjectMeta: meta.ObjectMeta{Namespace: ns, Name: cert + "-1-abc", OwnerRefs: []meta.Ref{meta.RefOf(r)}}}
	o.Status.URL = "https://ca.invalid/order/1"
	require.NoError(t, st.Create(ctx, o))
	c := &challenge.Challenge{ObjectMeta: meta.ObjectMeta{Namespace: ns, Name: cert + "-1-abc-def", OwnerRefs: []meta.Ref{meta.RefOf(o)}},
		Spec: challenge.Spec{DNSName: "web.example.test", Type: solver.HTTP01, Token: testTokenGC}}
	require.NoError(t, st.Create(ctx, c))
	k := &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: ns, Name: cert + "-next-private-key", OwnerRefs: []meta.Ref{owner},
		Labels: map[string]string{certificate.LabelNextPrivateKey: "true"}}}
	require.NoError(t, st.Create(ctx, k))
	s := &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: ns, Name: cert + "-tls", OwnerRefs: []meta.Ref{owner}}}
	require.NoError(t, st.Create(ctx, s))
	return meta.RefOf(r), meta.RefOf(o), meta.RefOf(c), meta.RefOf(k), meta.RefOf(s)
}

// probe reads any object's metadata.
type probe struct {
	Metadata meta.ObjectMeta `json:"metadata"`
}

func (p *probe) GetKind() meta.Kind        { return "" }
func (p *probe) GetMeta() *meta.ObjectMeta { return &p.Metadata }

const testTokenGC = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"

// TestGC_OwnerDeletedWhileNoManagerRan_CollectedAtStart: what a Certificate
// owned is collected when a Manager starts, before any of it is
// reconciled; its TLS Secret is kept, as cert-manager keeps it.
func TestGC_OwnerDeletedWhileNoManagerRan_CollectedAtStart(t *testing.T) {
	clk := clock.NewFake(testrig.Epoch)
	st := memory.New(memory.WithClock(clk))
	req, ord, ch, nextKey, tlsSecret := orphanTree(t, st, "default", "deleted")

	rec := &recorder{st: st}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := New(Config{Store: st, Clock: clk, Workers: 2})
	require.NoError(t, err)
	for k, r := range m.reconcilers {
		m.reconcilers[k] = rec.wrap(r)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() { cancel(); <-done }()

	h := &harness{t: t, ctx: ctx, clock: clk, store: st, m: m}
	h.waitUntil("the orphans are collected", func() bool {
		return gone(st, req) && gone(st, ord) && gone(st, ch) && gone(st, nextKey)
	})
	assert.False(t, gone(st, tlsSecret), "the TLS Secret outlives its Certificate")
	h.waitFor("the Manager is idle", func() bool { return m.queue.Len() == 0 })
	assert.Zero(t, rec.count(req), "a collected request is never reconciled")
	assert.Zero(t, rec.count(ord), "a collected order never talks to the CA")
	assert.Zero(t, rec.count(ch), "a collected challenge never talks to the CA")
}

// TestGC_OwnerCheckedBeforeReconcile: an owned object whose owner is gone
// is collected instead of reconciled, whenever the Manager looks at it; a
// presented Challenge is reconciled to clean up first and collected after.
func TestGC_OwnerCheckedBeforeReconcile(t *testing.T) {
	rec := &recorder{}
	var h *harness
	// Stands in for the challenge reconciler, which cleans up what it
	// presented once it finds its Order gone.
	cleanUp := reconcileFunc(func(ctx context.Context, ref meta.Ref) (time.Time, error) {
		c := &challenge.Challenge{}
		if err := h.store.Get(ctx, ref, c); err != nil || c.Status.CleanedUp {
			return time.Time{}, nil
		}
		c.Status.CleanedUp = true
		return time.Time{}, h.store.Update(ctx, c)
	})
	h = startHooked(t, nil, func(m *Manager) {
		rec.st = m.cfg.Store
		for k, r := range m.reconcilers {
			m.reconcilers[k] = rec.wrap(r)
		}
		m.reconcilers[meta.KindChallenge] = rec.wrap(cleanUp)
	})

	// Created after the Manager started, owned by a Certificate that does
	// not exist (deleted by a tool that collects nothing).
	r := &request.CertificateRequest{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "lost-1",
		OwnerRefs: []meta.Ref{testrig.CertRef("default", "lost")}}}
	require.NoError(t, h.store.Create(h.ctx, r))
	h.waitUntil("the request is collected", func() bool { return gone(h.store, meta.RefOf(r)) })
	assert.Zero(t, rec.count(meta.RefOf(r)), "collected instead of reconciled")

	c := &challenge.Challenge{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "lost-1-abc-def",
		OwnerRefs: []meta.Ref{{Kind: meta.KindOrder, Namespace: "default", Name: "lost-1-abc"}}},
		Spec:   challenge.Spec{DNSName: "web.example.test", Type: solver.HTTP01, Token: testTokenGC},
		Status: challenge.Status{Presented: true}}
	require.NoError(t, h.store.Create(h.ctx, c))
	h.waitUntil("the challenge is collected", func() bool { return gone(h.store, meta.RefOf(c)) })
	assert.Equal(t, 1, rec.count(meta.RefOf(c)), "reconciled once, to clean up, then collected")

	// Kinds nothing reconciles are checked when they change.
	lost := []meta.Ref{testrig.CertRef("default", "lost")}
	tlsSecret := &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "lost-tls", OwnerRefs: lost}}
	require.NoError(t, h.store.Create(h.ctx, tlsSecret))
	key := &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "lost-next-private-key", OwnerRefs: lost,
		Labels: map[string]string{certificate.LabelNextPrivateKey: "true"}}}
	require.NoError(t, h.store.Create(h.ctx, key))
	h.waitUntil("the temporary key is collected", func() bool { return gone(h.store, meta.RefOf(key)) })
	assert.False(t, gone(h.store, meta.RefOf(tlsSecret)), "the TLS Secret outlives its Certificate")
}

// TestGC_DeletedIssuerIsReconciledToForgetIt: a deleted Issuer is handed to
// its reconciler, which finds it gone and drops its ACME client, nonces and
// account key.
func TestGC_DeletedIssuerIsReconciledToForgetIt(t *testing.T) {
	rec := &recorder{}
	h := startHooked(t, nil, func(m *Manager) {
		m.reconcilers[meta.KindIssuer] = rec.wrap(m.reconcilers[meta.KindIssuer])
	})
	h.setupCA("default", "ca")
	ref := meta.Ref{Kind: meta.KindIssuer, Namespace: "default", Name: "ca"}
	before := rec.count(ref)
	require.NoError(t, h.store.Delete(h.ctx, ref, ""))
	h.waitFor("the deleted issuer is reconciled", func() bool { return rec.count(ref) > before })
}

// TestACME_OwnerDeletedWhileNoManagerRan_NoMoreACMECalls: a Manager stopped
// mid-order; the Certificate is deleted by another tool; a new Manager
// collects the request and its order and makes no ACME call for them.
func TestACME_OwnerDeletedWhileNoManagerRan_NoMoreACMECalls(t *testing.T) {
	dir := t.TempDir()
	st1, err := file.Open(dir)
	require.NoError(t, err)
	h := startACME(t, acmeSetup{store: st1, acmeOpts: []acmetest.Option{
		acmetest.WithFaults(acmetest.Delay(acmetest.EndpointAuthz, 1, 30*time.Second)),
	}})
	require.NoError(t, h.m.Apply(h.ctx, h.acme.Issuer("default", "acme")))
	crt := testrig.ACMECertificate("default", "orphan", "acme", "orphan.example.test")
	require.NoError(t, h.m.Apply(h.ctx, crt))
	var orders []*order.Order
	h.awaitStore("an Order records its ACME URL", func() bool {
		orders, err = store.ListOf[order.Order](h.ctx, h.st, store.ListOptions{Kind: meta.KindOrder, Namespace: "default"})
		require.NoError(t, err)
		return len(orders) == 1 && orders[0].Status.URL != ""
	})
	h.poll("the first Manager is waiting for the CA", func() bool { return h.acme.Requests(acmetest.EndpointAuthz) == 1 })
	h.stopManager()
	require.NoError(t, st1.Close())

	st2, err := file.Open(dir)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st2.Close() })
	reqs, err := store.ListOf[request.CertificateRequest](h.ctx, st2, store.ListOptions{Kind: meta.KindCertificateRequest, Namespace: "default"})
	require.NoError(t, err)
	require.Len(t, reqs, 1)
	// Another tool deletes the Certificate and collects nothing.
	require.NoError(t, st2.Delete(h.ctx, meta.RefOf(crt), ""))
	endpoints := []acmetest.Endpoint{acmetest.EndpointNewOrder, acmetest.EndpointOrder, acmetest.EndpointAuthz,
		acmetest.EndpointChallenge, acmetest.EndpointFinalize, acmetest.EndpointCertificate}
	calls := func() map[acmetest.Endpoint]int {
		out := map[acmetest.Endpoint]int{}
		for _, e := range endpoints {
			out[e] = h.acme.Requests(e)
		}
		return out
	}
	before := calls()

	h.startManager(st2)
	// Only Secrets may outlive the Certificate: its requests, orders and
	// events are collected.
	owner := meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: "orphan"}
	h.awaitStore("everything the Certificate owned but its Secrets is collected", func() bool {
		left, err := st2.List(h.ctx, store.ListOptions{Namespace: "default", Owner: &owner})
		require.NoError(t, err)
		for _, raw := range left.Items {
			if raw.Ref.Kind != meta.KindSecret {
				return false
			}
		}
		return gone(st2, meta.RefOf(reqs[0])) && gone(st2, meta.RefOf(orders[0]))
	})
	h.poll("the collections are reconciled", func() bool { return h.m.queue.Len() == 0 })
	assert.Equal(t, before, calls(), "no ACME call for what the deleted Certificate owned")
}

// TestGC_OwnerRecreatedUnderItsName: owner references carry no UID, and a
// retried request is created again under its name; the deleted request's
// order is still collected, and the new request's order is not.
func TestGC_OwnerRecreatedUnderItsName(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st := memory.New()
	m, err := New(Config{Store: st}) // not run: the test feeds it the watch
	require.NoError(t, err)
	res, err := st.List(ctx, store.ListOptions{Kind: "none"})
	require.NoError(t, err)
	events, err := st.Watch(ctx, res.Revision)
	require.NoError(t, err)
	observe := func(n int) {
		for i := 0; i < n; i++ {
			select {
			case ev := <-events:
				require.NoError(t, ev.Err)
				m.observe(ctx, ev)
			case <-ctx.Done():
				t.Fatal("no watch event")
			}
		}
	}
	newRequest := func() *request.CertificateRequest {
		return &request.CertificateRequest{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "web-1",
			OwnerRefs: []meta.Ref{testrig.CertRef("default", "web")}}}
	}
	newOrder := func(name string) *order.Order {
		return &order.Order{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: name,
			OwnerRefs: []meta.Ref{{Kind: meta.KindCertificateRequest, Namespace: "default", Name: "web-1"}}}}
	}
	require.NoError(t, st.Create(ctx, testrig.Certificate("default", "web", "ca", "web.example.test")))
	first := newRequest()
	require.NoError(t, st.Create(ctx, first))
	old := newOrder("web-1-old")
	require.NoError(t, st.Create(ctx, old))
	observe(3)

	// The retry: the failed request is deleted and created again before the
	// Manager sees the deletion.
	require.NoError(t, st.Delete(ctx, meta.RefOf(first), ""))
	require.NoError(t, st.Create(ctx, newRequest()))
	observe(2)
	assert.True(t, gone(st, meta.RefOf(old)), "the deleted request's order is collected")

	fresh := newOrder("web-1-new")
	require.NoError(t, st.Create(ctx, fresh))
	for seen := false; !seen; {
		select {
		case ev := <-events:
			require.NoError(t, ev.Err)
			m.observe(ctx, ev)
			seen = ev.Ref == meta.RefOf(fresh)
		case <-ctx.Done():
			t.Fatal("no watch event for the new order")
		}
	}
	require.NotEmpty(t, m.owners.of(meta.RefOf(fresh)))
	keep, err := m.checkOwners(ctx, meta.RefOf(fresh))
	require.NoError(t, err)
	assert.True(t, keep, "the new request's order is reconciled")
	assert.False(t, gone(st, meta.RefOf(fresh)))
}
