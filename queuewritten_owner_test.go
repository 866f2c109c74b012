package certflow

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/store/memory"
)

// TestQueueWritten_ChildIsOwnerCheckedBeforeTheWatch: a request's reconcile
// creates its Order, and the request is deleted (its Certificate deleted,
// Manager.Delete collecting what it owned) before the Order is visited.
// The Order, queued at its create (queueWritten) before the watch indexed
// its owners, must still be checked against them before it is reconciled
// (its first step is newOrder at the CA), as it is when the watch queues
// it: it is collected instead.
func TestQueueWritten_ChildIsOwnerCheckedBeforeTheWatch(t *testing.T) {
	for _, watched := range []bool{true, false} {
		ctx := context.Background()
		st := memory.New()
		m, err := New(Config{Store: st})
		require.NoError(t, err)
		req := meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "ns", Name: "r"} // gone meanwhile
		o := &order.Order{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "r-o", OwnerRefs: []meta.Ref{req}}}
		require.NoError(t, m.deps.Store.Create(reconciling(ctx, req), o))
		if watched {
			// What observe does with the Order's Added event.
			m.owners.set(meta.RefOf(o), o.ObjectMeta.OwnerRefs, 0)
		}
		require.Contains(t, drainQueue(t, m.queue), meta.RefOf(o))
		_, _ = m.invoke(ctx, meta.RefOf(o))
		err = st.Get(ctx, meta.RefOf(o), &order.Order{})
		assert.Error(t, err, "watched=%v: the Order of a deleted request was reconciled, not collected", watched)
	}
}

// TestApply_LeavesQueueingToTheWatch: what Apply writes is queued by the
// watch, after it has indexed the object: two Certificates naming one
// Secret, applied one after the other, must be in the Secret-name index
// when either is visited, or the younger one issues too (cert-manager's
// CertificateOwnsSecret: the oldest owns the Secret).
func TestApply_LeavesQueueingToTheWatch(t *testing.T) {
	ctx := context.Background()
	m, err := New(Config{Store: memory.New()})
	require.NoError(t, err)
	a := testrig.Certificate("default", "a", "ca", "a.example.test")
	a.Spec.SecretName = "shared"
	b := testrig.Certificate("default", "b", "ca", "b.example.test")
	b.Spec.SecretName = "shared"
	require.NoError(t, m.Apply(ctx, a))
	require.NoError(t, m.Apply(ctx, b))
	assert.Empty(t, drainQueue(t, m.queue), "queued before the watch indexed it")
}
