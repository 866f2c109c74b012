package certflow

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// ownedChallengeRig returns a Manager (not running) on a memory Store
// holding a Challenge owned by the Order owner.
func ownedChallengeRig(t *testing.T, ctx context.Context) (*Manager, *memory.Store, meta.Ref, *challenge.Challenge) {
	t.Helper()
	st := memory.New()
	m, err := New(Config{Store: st})
	require.NoError(t, err)
	owner := meta.Ref{Kind: meta.KindOrder, Namespace: "ns", Name: "o"}
	ch := &challenge.Challenge{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "o-c", OwnerRefs: []meta.Ref{owner}},
		Spec: challenge.Spec{DNSName: "a.example.test", Type: solver.HTTP01, Token: testTokenGC}}
	require.NoError(t, st.Create(ctx, ch))
	return m, st, owner, ch
}

// TestWakesOwners_OnlyWhatTheOwnerDecidesOnWakesIt: a Challenge's change
// wakes its Order when it is new, when it ends, when it finishes cleaning
// up, when its owners change and when it is deleted or cannot be read —
// not for its steps in between. A kind without a rule always wakes.
func TestWakesOwners_OnlyWhatTheOwnerDecidesOnWakesIt(t *testing.T) {
	ctx := context.Background()
	m, st, _, ch := ownedChallengeRig(t, ctx)
	changed := func(typ store.EventType) bool {
		t.Helper()
		return m.wakesOwners(ctx, store.WatchEvent{Type: typ, Ref: meta.RefOf(ch), Meta: ch.ObjectMeta})
	}
	step := func(what string, wakes bool, change func(st *challenge.Status)) {
		t.Helper()
		change(&ch.Status)
		require.NoError(t, st.Update(ctx, ch))
		assert.Equal(t, wakes, changed(store.Modified), what)
	}

	assert.True(t, changed(store.Added), "a new child")
	step("presenting", false, func(s *challenge.Status) { s.State, s.Processing = challenge.StatePending, true })
	step("presented", false, func(s *challenge.Status) { s.Presented = true })
	step("accepted", false, func(s *challenge.Status) { s.State, s.Accepted = challenge.StateProcessing, true })
	step("valid", true, func(s *challenge.Status) { s.State = challenge.StateValid })
	step("valid, seen again", false, func(*challenge.Status) {})
	step("cleaned up", true, func(s *challenge.Status) { s.CleanedUp, s.Presented, s.Processing = true, false, false })

	other := meta.Ref{Kind: meta.KindOrder, Namespace: "ns", Name: "other"}
	ch.ObjectMeta.OwnerRefs = []meta.Ref{other}
	require.NoError(t, st.Update(ctx, ch))
	assert.True(t, changed(store.Modified), "adopted: its new owner decides on it")

	require.NoError(t, st.Delete(ctx, meta.RefOf(ch), ""))
	assert.True(t, changed(store.Modified), "gone when read: wakes")
	assert.True(t, changed(store.Deleted), "deleted")

	// A final request has no view: every change wakes, nothing is kept.
	req := &request.CertificateRequest{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "c-1",
		OwnerRefs: []meta.Ref{{Kind: meta.KindCertificate, Namespace: "ns", Name: "c"}}}}
	req.Status.Conditions.Set(meta.Condition{Type: meta.ConditionReady, Status: meta.ConditionTrue, Reason: request.ReasonIssued})
	require.NoError(t, st.Create(ctx, req))
	for range 2 {
		assert.True(t, m.wakesOwners(ctx, store.WatchEvent{Type: store.Modified, Ref: meta.RefOf(req), Meta: req.ObjectMeta}), "final request")
	}
	assert.NotContains(t, m.ownerWake.last, meta.RefOf(req))

	s := &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "k", OwnerRefs: []meta.Ref{{Kind: meta.KindCertificate, Namespace: "ns", Name: "c"}}}}
	require.NoError(t, st.Create(ctx, s))
	for range 2 {
		assert.True(t, m.wakesOwners(ctx, store.WatchEvent{Type: store.Modified, Ref: meta.RefOf(s), Meta: s.ObjectMeta}), "no rule for Secrets")
	}
}

// After a re-list nothing seen before the lost changes is compared with:
// the first change of a child after a resync wakes its owners.
func TestWakesOwners_ResyncForgetsWhatWasSeen(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	m, err := New(Config{Store: st})
	require.NoError(t, err)
	ord := &order.Order{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "o"}}
	require.NoError(t, st.Create(ctx, ord), "an owner, so the re-list collects nothing")
	owner := meta.RefOf(ord)
	ch := &challenge.Challenge{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "o-c", OwnerRefs: []meta.Ref{owner}},
		Spec: challenge.Spec{DNSName: "a.example.test", Type: solver.HTTP01, Token: testTokenGC}}
	require.NoError(t, st.Create(ctx, ch))
	ev := store.WatchEvent{Type: store.Modified, Ref: meta.RefOf(ch), Meta: ch.ObjectMeta}
	assert.True(t, m.wakesOwners(ctx, ev), "first sight")
	assert.False(t, m.wakesOwners(ctx, ev), "seen, unchanged")

	_, err = m.resync(ctx)
	require.NoError(t, err)
	assert.True(t, m.wakesOwners(ctx, ev), "after a re-list: compared with nothing")
}

// What a burst of requests in flight grew is given back once they are
// final: the heap after forgetting 100k sights is what an empty ownerWake
// holds, not the map's high-water size.
func TestOwnerWake_ForgottenBurstIsReleased(t *testing.T) {
	var w ownerWake
	base := liveHeap()
	const n = 100000
	refs := make([]meta.Ref, n)
	for i := range refs {
		refs[i] = meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "ns", Name: fmt.Sprint("r", i)}
	}
	names := liveHeap()
	w.mu.Lock()
	w.last = map[meta.Ref]ownerSight{}
	for _, r := range refs {
		w.last[r] = ownerSight{view: uint64(1)}
		w.peak = max(w.peak, len(w.last))
	}
	w.mu.Unlock()
	grown := liveHeap()
	for _, r := range refs[:n-10] {
		w.forget(r)
	}
	forgotten := liveHeap()
	require.Greater(t, grown, names+n*50, "the burst itself takes room")
	assert.Less(t, forgotten, names+(grown-names)/10, "heap after forgetting: %d, before the burst %d, at its peak %d (names %d)",
		forgotten, names, grown, names-base)
	assert.Len(t, w.last, 10, "what is not forgotten stays")
	for _, r := range refs[n-10:] {
		assert.Contains(t, w.last, r)
	}
	runtime.KeepAlive(refs)
}

// An Order's steps that its request does not mirror (the authorizations
// read, its Challenges under way, a poll) do not wake the request; a new
// state or a holdup does.
func TestWakesOwners_OrderStepsTheRequestDoesNotMirror(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	m, err := New(Config{Store: st})
	require.NoError(t, err)
	owner := meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "ns", Name: "r-1"}
	o := &order.Order{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "r-1-abc", OwnerRefs: []meta.Ref{owner}}}
	require.NoError(t, st.Create(ctx, o))
	changed := func(typ store.EventType) bool {
		t.Helper()
		return m.wakesOwners(ctx, store.WatchEvent{Type: typ, Ref: meta.RefOf(o), Meta: o.ObjectMeta})
	}
	step := func(what string, wakes bool, change func(st *order.Status)) {
		t.Helper()
		change(&o.Status)
		require.NoError(t, st.Update(ctx, o))
		assert.Equal(t, wakes, changed(store.Modified), what)
	}
	assert.True(t, changed(store.Added), "a new Order")
	step("opened", true, func(s *order.Status) { s.State, s.URL = order.StatePending, "https://ca/order/1" })
	step("authorizations read", false, func(s *order.Status) {
		s.Authorizations = []order.Authorization{{URL: "https://ca/authz/1", Identifier: "a.test", InitialState: order.StatePending}}
	})
	step("waiting for its challenge", false, func(s *order.Status) { s.Reason = "waiting for 1 challenge(s)" })
	step("held up at the CA", true, func(s *order.Status) { s.Reason = "get order: serverInternal (attempt 1; retrying soon)" })
	step("finalize intent", true, func(s *order.Status) { s.Finalizing, s.Reason = true, "" })
	step("polled again", false, func(s *order.Status) { s.Polls++ })
	step("polled, nothing new", false, func(s *order.Status) { s.Polls++ })
	step("valid", true, func(s *order.Status) { s.State, s.Certificate = order.StateValid, []byte("chain") })
}
