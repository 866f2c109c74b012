package certflow

import (
	"context"
	"testing"

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
