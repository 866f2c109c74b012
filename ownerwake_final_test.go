package certflow

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// TestWakeAtWrite_FinalRequestWakesItsCertificate: a reconcile's update
// that makes a CertificateRequest final (its changes always wake: it has
// no view) queues its Certificate as the update returns, with no watch
// running; that write's own event then wakes nobody again, while a later
// change of the final request, delivered by the watch, still wakes. A
// request the watch has not shown yet is left to its events.
func TestWakeAtWrite_FinalRequestWakesItsCertificate(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	m, err := New(Config{Store: st})
	require.NoError(t, err)
	owner := meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "c"}
	req := &request.CertificateRequest{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "c-1", OwnerRefs: []meta.Ref{owner}}}
	require.NoError(t, st.Create(ctx, req))
	ref := meta.RefOf(req)
	event := func(om meta.ObjectMeta) bool {
		return m.wakesOwners(ctx, store.WatchEvent{Type: store.Modified, Ref: ref, Meta: om})
	}
	write := func(change func(s *request.Status)) meta.ObjectMeta {
		t.Helper()
		change(&req.Status)
		require.NoError(t, m.deps.Store.Update(reconciling(ctx, ref), req))
		return req.ObjectMeta
	}
	ready := func(s *request.Status) {
		s.Conditions.Set(meta.Condition{Type: meta.ConditionReady, Status: meta.ConditionTrue, Reason: "Issued"})
	}

	// Not shown by the watch yet: left to its events.
	early := write(func(s *request.Status) {
		s.Conditions.Set(meta.Condition{Type: meta.ConditionApproved, Status: meta.ConditionTrue, Reason: "Approved"})
	})
	assert.Empty(t, drainQueue(t, m.queue))
	require.True(t, m.wakesOwners(ctx, store.WatchEvent{Type: store.Added, Ref: ref, Meta: early}))

	issued := write(ready)
	assert.Equal(t, []meta.Ref{owner}, drainQueue(t, m.queue), "final: the Certificate is queued at the write")
	assert.False(t, event(issued), "the write's own change: the Certificate was woken for it")

	again := write(func(s *request.Status) { s.Certificate = []byte("x") })
	assert.Empty(t, drainQueue(t, m.queue), "its event delivered, a final request is the watch's again")
	assert.True(t, event(again), "a change of a final request wakes")
}
