package certflow

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// sharedManagers runs n Managers with ShareWork on one memory store and a
// fake clock, and records which Manager decided on which Certificate (for
// the Certificate and CertificateRequest reconcilers, by the Certificate).
type sharedManagers struct {
	t     *testing.T
	ctx   context.Context
	clock *clock.Fake
	store *memory.Store
	ms    []*Manager
	stops []func()

	mu      sync.Mutex
	decided map[string]map[int]bool // certificate name → managers that decided on it
}

func startShared(t *testing.T, n int) *sharedManagers {
	ctx := testrig.Context(t)
	clk := clock.NewFake(testrig.Epoch)
	s := &sharedManagers{t: t, ctx: ctx, clock: clk, store: memory.New(memory.WithClock(clk)), decided: map[string]map[int]bool{}}
	for i := range n {
		s.start(i)
	}
	return s
}

func (s *sharedManagers) start(i int) {
	observe := func(_ meta.Kind, snap any, _ *reconcile.Plan) func(time.Time, error) {
		var name string
		switch v := snap.(type) {
		case *certificate.Snapshot:
			name = v.Cert.ObjectMeta.Name
		case request.Snapshot:
			name = requestOwner(v.Request)
		}
		if name != "" {
			s.mu.Lock()
			if s.decided[name] == nil {
				s.decided[name] = map[int]bool{}
			}
			s.decided[name][i] = true
			s.mu.Unlock()
		}
		return nil
	}
	m, err := New(Config{Store: s.store, Clock: s.clock, Workers: 4, ShareWork: true, Observer: observe})
	require.NoError(s.t, err)
	if i < len(s.ms) {
		s.ms[i] = m
		s.stops[i] = testrig.Run(s.t, s.ctx, 10*time.Second, m.Run)
		return
	}
	s.ms = append(s.ms, m)
	s.stops = append(s.stops, testrig.Run(s.t, s.ctx, 10*time.Second, m.Run))
}

// requestOwner names the Certificate that owns req.
func requestOwner(req *request.CertificateRequest) string {
	for _, o := range req.ObjectMeta.OwnerRefs {
		if o.Kind == meta.KindCertificate {
			return o.Name
		}
	}
	return ""
}

// awaitLive waits until Manager i counts want live replicas. A replica
// learns of the others through its watch, which tells nobody else when it
// is done: this polls.
func (s *sharedManagers) awaitLive(i, want int) {
	s.t.Helper()
	require.Eventually(s.t, func() bool {
		ms := s.ms[i].members
		ms.mu.Lock()
		defer ms.mu.Unlock()
		return len(ms.live) == want
	}, 20*time.Second, 5*time.Millisecond, "manager %d sees %d live replicas", i, want)
}

func (s *sharedManagers) certificates(prefix string, n int) []meta.Ref {
	refs := make([]meta.Ref, n)
	for i := range refs {
		c := testrig.Certificate("default", fmt.Sprintf("%s-%02d", prefix, i), "ca", fmt.Sprintf("%s-%02d.example.test", prefix, i))
		require.NoError(s.t, s.ms[0].Apply(s.ctx, c))
		refs[i] = meta.RefOf(c)
	}
	return refs
}

func (s *sharedManagers) awaitReady(refs []meta.Ref) {
	s.t.Helper()
	for _, ref := range refs {
		testrig.WaitFor[certificate.Certificate](s.t, s.ctx, s.store, ref, "Ready", testrig.CertReady, nil)
	}
}

// deciders returns, for each certificate of refs, the Managers that decided on it.
func (s *sharedManagers) deciders(refs []meta.Ref) map[string][]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]int{}
	for _, ref := range refs {
		for i := range s.decided[ref.Name] {
			out[ref.Name] = append(out[ref.Name], i)
		}
		slices.Sort(out[ref.Name])
	}
	return out
}

// Three Managers sharing the work split the Certificates: each Certificate
// (and its request) is decided on by exactly one of them, and each of them
// gets some.
func TestShareWork_EachCertificateIsReconciledByOneReplica(t *testing.T) {
	s := startShared(t, 3)
	for i := range 3 {
		s.awaitLive(i, 3)
	}
	require.NoError(t, s.ms[0].Apply(s.ctx, testrig.CASecret(t, "default", "ca-key", s.clock.Now())))
	require.NoError(t, s.ms[0].Apply(s.ctx, testrig.CAIssuer("default", "ca", "ca-key")))
	refs := s.certificates("web", 30)
	s.awaitReady(refs)

	perManager := map[int]int{}
	for name, by := range s.deciders(refs) {
		assert.Len(t, by, 1, "%s decided on by managers %v", name, by)
		for _, i := range by {
			perManager[i]++
		}
	}
	assert.Len(t, perManager, 3, "every replica has a share: %v", perManager)
}

// A replica that stops cleanly leaves its share at once; one that vanishes
// without a word (its Replica object left behind, as after SIGKILL) leaves
// it once it has not been heard of for memberTTL.
func TestShareWork_SharesMoveWhenAReplicaLeavesOrFallsSilent(t *testing.T) {
	s := startShared(t, 2)
	s.awaitLive(0, 2)
	s.awaitLive(1, 2)
	require.NoError(t, s.ms[0].Apply(s.ctx, testrig.CASecret(t, "default", "ca-key", s.clock.Now())))
	require.NoError(t, s.ms[0].Apply(s.ctx, testrig.CAIssuer("default", "ca", "ca-key")))

	s.stops[1]()
	s.awaitLive(0, 1)
	s.awaitReady(s.certificates("after-stop", 10))

	// A silent replica: its object exists and is never written again.
	silent := &replicaObject{ObjectMeta: meta.ObjectMeta{Namespace: "certflow", Name: "replica-silent"}}
	require.NoError(t, s.store.Create(s.ctx, silent))
	s.awaitLive(0, 2)
	refs := s.certificates("silent", 20)
	var others, silents []meta.Ref
	for _, ref := range refs {
		if s.ms[0].mine(s.ctx, ref) {
			others = append(others, ref)
		} else {
			silents = append(silents, ref)
		}
	}
	require.NotEmpty(t, silents, "the silent replica has a share")
	s.awaitReady(others)
	for _, ref := range silents {
		c := &certificate.Certificate{}
		require.NoError(t, s.store.Get(s.ctx, ref, c))
		assert.False(t, testrig.CertReady(c), "%s waits for the silent replica", ref.Name)
	}
	// Once it has been silent for memberTTL, the other takes its share.
	s.clock.Advance(memberTTL + memberHeartbeat)
	s.awaitLive(0, 1)
	s.awaitReady(silents)
}

// heldBeat is a Store whose Update of the heartbeat numbered beat waits,
// once it has begun, until release is closed.
type heldBeat struct {
	store.Store
	beat    string
	begun   chan struct{}
	release chan struct{}
}

func (h *heldBeat) Update(ctx context.Context, obj meta.Object) error {
	if r, ok := obj.(*replicaObject); ok && r.ObjectMeta.Annotations[annotationHeartbeat] == h.beat {
		close(h.begun)
		<-h.release
	}
	return h.Store.Update(ctx, obj)
}

// A heartbeat is due memberHeartbeat after the previous one began, however
// long that one took: time that passed while it wrote (a slow Store, a
// jump of the clock) does not push every later beat back by it.
func TestShareWork_HeartbeatsKeepTheirCadence(t *testing.T) {
	r := startHeldBeat(t)
	r.clock.Advance(memberHeartbeat / 2) // while the second beat writes
	close(r.held.release)
	r.awaitTimer(t, testrig.Epoch.Add(2*memberHeartbeat))
	r.clock.Advance(memberHeartbeat / 2)
	testrig.Await(t, r.ctx, r.raw, "the third heartbeat, a heartbeat after the second began", r.beat("3"), nil)
}

// A heartbeat that took longer than memberHeartbeat is followed by a gap of
// a quarter of one, not at once by the next: beats never run back to back
// against a Store already slow to take them.
func TestShareWork_HeartbeatsLeaveAGapAfterASlowOne(t *testing.T) {
	r := startHeldBeat(t)
	r.clock.Advance(2 * memberHeartbeat) // while the second beat writes
	close(r.held.release)
	ended := testrig.Epoch.Add(3 * memberHeartbeat)
	r.awaitTimer(t, ended.Add(memberHeartbeat/4))
	assert.False(t, r.beat("3")(), "not at once")
	r.clock.Advance(memberHeartbeat / 4)
	testrig.Await(t, r.ctx, r.raw, "the third heartbeat, after the gap", r.beat("3"), nil)
}

// heldBeatRig is a sharing Manager on a fake clock whose second heartbeat
// has begun and waits in the Store until held.release is closed.
type heldBeatRig struct {
	ctx   context.Context
	clock *clock.Fake
	raw   store.Store
	held  *heldBeat
	self  meta.Ref
}

func startHeldBeat(t *testing.T) *heldBeatRig {
	ctx := testrig.Context(t)
	clk := clock.NewFake(testrig.Epoch)
	raw := memory.New(memory.WithClock(clk))
	held := &heldBeat{Store: raw, beat: "2", begun: make(chan struct{}), release: make(chan struct{})}
	m, err := New(Config{Store: held, Clock: clk, ShareWork: true})
	require.NoError(t, err)
	testrig.Run(t, ctx, 10*time.Second, m.Run)
	r := &heldBeatRig{ctx: ctx, clock: clk, raw: raw, held: held, self: m.members.self}
	testrig.Await(t, ctx, raw, "the first heartbeat", r.beat("1"), nil)
	r.awaitTimer(t, testrig.Epoch.Add(memberHeartbeat)) // armed once the first beat's share() returned
	clk.Advance(memberHeartbeat)
	select {
	case <-held.begun:
	case <-ctx.Done():
		t.Fatal("the second heartbeat did not begin")
	}
	return r
}

// beat reports whether the heartbeat numbered n is stored.
func (r *heldBeatRig) beat(n string) func() bool {
	return func() bool {
		obj := &replicaObject{}
		return r.raw.Get(r.ctx, r.self, obj) == nil && obj.ObjectMeta.Annotations[annotationHeartbeat] == n
	}
}

// awaitTimer waits until the earliest timer armed is due at at, for at
// most ten seconds.
func (r *heldBeatRig) awaitTimer(t *testing.T, at time.Time) {
	t.Helper()
	ctx, cancel := context.WithTimeout(r.ctx, 10*time.Second)
	defer cancel()
	for {
		changed := r.clock.Changed()
		next, ok := r.clock.NextDeadline()
		if ok && next.Equal(at) {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("no timer due at %s; the next is at %s", at, next)
		}
	}
}
