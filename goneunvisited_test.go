package certflow

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// TestDeletionVisitsOnlyKindsThatForgetSomething: the watch's deletion of
// a Challenge, an Order or a CertificateRequest queues no visit (their
// reconcilers keep nothing per object; an issuance deletes its Challenge,
// and that visit only read NotFound), and drops the object's timer; the
// deletion of an Issuer (whose visit forgets its ACME client) or a
// Certificate still queues one.
func TestDeletionVisitsOnlyKindsThatForgetSomething(t *testing.T) {
	m, err := New(Config{Store: memory.New()})
	require.NoError(t, err)
	ctx := context.Background()
	for kind, visited := range map[meta.Kind]bool{
		meta.KindChallenge:          false,
		meta.KindOrder:              false,
		meta.KindCertificateRequest: false,
		meta.KindIssuer:             true,
		meta.KindClusterIssuer:      true,
		meta.KindCertificate:        true,
	} {
		ref := meta.Ref{Kind: kind, Namespace: "ns", Name: "gone"}
		if kind == meta.KindClusterIssuer {
			ref.Namespace = ""
		}
		m.timers.Schedule(ref, m.cfg.Clock.Now().Add(1<<40))
		m.observe(ctx, store.WatchEvent{Type: store.Deleted, Ref: ref, Meta: meta.ObjectMeta{Namespace: ref.Namespace, Name: ref.Name, ResourceVersion: "7"}, Revision: 7})
		_, timed := m.timers.Scheduled(ref)
		assert.False(t, timed, "%s: its timer is dropped", kind)
		if !visited {
			assert.Zero(t, m.queue.Len(), "%s: a deletion queues no visit", kind)
			continue
		}
		require.Equal(t, 1, m.queue.Len(), "%s: a deletion queues a visit", kind)
		got, ok := m.queue.Get(ctx)
		require.True(t, ok)
		assert.Equal(t, ref, got)
		m.queue.Done(got)
	}
}

// TestDeletionDuringAVisitLeavesNothingBehind: a Challenge, an Order or a
// CertificateRequest deleted while a visit of it is in flight is visited
// once more when that visit ends, and that visit, finding it gone, clears
// the backoff timer and the retry count the one in flight left (its write
// failed on the object that was gone).
func TestDeletionDuringAVisitLeavesNothingBehind(t *testing.T) {
	m, err := New(Config{Store: memory.New()})
	require.NoError(t, err)
	ctx := context.Background()
	for _, kind := range []meta.Kind{meta.KindChallenge, meta.KindOrder, meta.KindCertificateRequest} {
		ref := meta.Ref{Kind: kind, Namespace: "ns", Name: "gone"}
		m.queue.Add(ref)
		got, ok := m.queue.Get(ctx)
		require.True(t, ok)
		require.Equal(t, ref, got)

		m.observe(ctx, store.WatchEvent{Type: store.Deleted, Ref: ref, Meta: meta.ObjectMeta{Namespace: ref.Namespace, Name: ref.Name, ResourceVersion: "7"}, Revision: 7})
		// The visit in flight ends as reconcileOne ends a failed one.
		m.retries.inc(ref)
		m.timers.Schedule(ref, m.cfg.Clock.Now().Add(5*time.Minute))
		m.queue.Done(got)

		visits := 0
		for m.queue.Len() > 0 {
			got, ok := m.queue.Get(ctx)
			require.True(t, ok)
			require.Equal(t, ref, got, "%s: only the deleted object is visited", kind)
			m.reconcileOne(ctx, got)
			m.queue.Done(got)
			visits++
		}
		assert.Equal(t, 1, visits, "%s: the visit in flight is redone once", kind)
		_, timed := m.timers.Scheduled(ref)
		assert.False(t, timed, "%s: no timer is left", kind)
		assert.NotContains(t, m.retries.n, ref, "%s: no retry count is left", kind)
	}
}
