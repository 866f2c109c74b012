package certflow

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// drainQueue takes every reference queued in q and returns them.
func drainQueue(t *testing.T, q *workQueue) []meta.Ref {
	t.Helper()
	var refs []meta.Ref
	for q.Len() > 0 {
		ref, ok := q.Get(context.Background())
		require.True(t, ok)
		q.Done(ref)
		refs = append(refs, ref)
	}
	return refs
}

// TestWakeAtWrite_OwnerQueuedWithoutTheWatch: a reconcile's update that
// shows the owners something new (a Challenge turning valid) queues them
// as the update returns, with no watch running; the update's own event,
// and an older one delivered late, then wake nobody again, and the late one
// does not replace what the owners saw.
func TestWakeAtWrite_OwnerQueuedWithoutTheWatch(t *testing.T) {
	ctx := context.Background()
	m, _, owner, ch := ownedChallengeRig(t, ctx)
	event := func(om meta.ObjectMeta) bool {
		return m.wakesOwners(ctx, store.WatchEvent{Type: store.Modified, Ref: meta.RefOf(ch), Meta: om})
	}
	require.True(t, m.wakesOwners(ctx, store.WatchEvent{Type: store.Added, Ref: meta.RefOf(ch), Meta: ch.ObjectMeta}))
	write := func(change func(s *challenge.Status)) meta.ObjectMeta {
		t.Helper()
		change(&ch.Status)
		require.NoError(t, m.deps.Store.Update(reconciling(ctx, meta.RefOf(ch)), ch))
		return ch.ObjectMeta
	}

	accepted := write(func(s *challenge.Status) { s.State, s.Presented, s.Accepted = challenge.StateProcessing, true, true })
	assert.Empty(t, drainQueue(t, m.queue), "a step the Order does not decide on wakes nobody")
	valid := write(func(s *challenge.Status) { s.State = challenge.StateValid })
	assert.Equal(t, []meta.Ref{owner}, drainQueue(t, m.queue), "valid: the Order is queued at the write")

	assert.False(t, event(accepted), "an older change delivered late is old news")
	assert.False(t, event(valid), "the write's own change: the Order was woken for it")
	write(func(s *challenge.Status) { s.Accepted = false })
	assert.Empty(t, drainQueue(t, m.queue), "still valid: the late event did not replace what the Order saw")
}

// TestWakeAtWrite_UnseenObjectLeftToTheWatch: an update of an object whose
// creation the watch has not delivered yet wakes nobody at the write; its
// events decide (here, a creation by someone else wakes the owner).
func TestWakeAtWrite_UnseenObjectLeftToTheWatch(t *testing.T) {
	ctx := context.Background()
	m, _, _, ch := ownedChallengeRig(t, ctx)
	created := ch.ObjectMeta
	ch.Status.State = challenge.StateValid
	require.NoError(t, m.deps.Store.Update(reconciling(ctx, meta.RefOf(ch)), ch))
	assert.Empty(t, drainQueue(t, m.queue))
	assert.True(t, m.wakesOwners(ctx, store.WatchEvent{Type: store.Added, Ref: meta.RefOf(ch), Meta: created}))
}

// TestQueueWritten_ChildQueuedAtItsCreate: a child a reconcile creates is
// queued as the create returns when its kind is reconciled here, with no
// watch running; with ShareWork, whose share it is waits for the watch.
func TestQueueWritten_ChildQueuedAtItsCreate(t *testing.T) {
	for _, share := range []bool{false, true} {
		ctx := context.Background()
		m, err := New(Config{Store: memory.New(), ShareWork: share})
		require.NoError(t, err)
		req := meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "ns", Name: "r"}
		o := &order.Order{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "r-o", OwnerRefs: []meta.Ref{req}}}
		require.NoError(t, m.deps.Store.Create(reconciling(ctx, req), o))
		if share {
			assert.Empty(t, drainQueue(t, m.queue), "ShareWork: left to the watch")
			continue
		}
		assert.Equal(t, []meta.Ref{meta.RefOf(o)}, drainQueue(t, m.queue))
		m.queue.Decided(meta.RefOf(o), o.ObjectMeta.ResourceVersion)
		m.queue.AddChange(meta.RefOf(o), o.ObjectMeta.ResourceVersion)
		assert.Empty(t, drainQueue(t, m.queue), "its creation's event, once decided on, queues nothing more")
	}
}

// TestWaitersToldAtTheWrite: a reconcile's update of an object wakes those
// waiting for it (WaitReady) as the update returns, with no watch running.
func TestWaitersToldAtTheWrite(t *testing.T) {
	ctx := context.Background()
	m, err := New(Config{Store: memory.New()})
	require.NoError(t, err)
	c := testrig.Certificate("default", "web", "ca", "web.example.test")
	require.NoError(t, m.Apply(ctx, c))
	changed, stop := m.changes.subscribe(meta.RefOf(c))
	defer stop()
	require.NoError(t, m.deps.Store.Update(reconciling(ctx, meta.RefOf(c)), c))
	select {
	case <-changed:
	default:
		t.Fatal("the waiter was not told of the update")
	}
}
