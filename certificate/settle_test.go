package certificate

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// decisionLog records each decision a reconciler executes: the version of
// the Certificate it was made on and whether it was idle.
type decisionLog struct {
	mu   sync.Mutex
	seen []decisionSeen
}

type decisionSeen struct {
	version string
	idle    bool
}

func (l *decisionLog) observer() reconcile.Observer {
	return func(_ meta.Kind, _ any, p *reconcile.Plan) func(time.Time, error) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.seen = append(l.seen, decisionSeen{p.Object.GetMeta().ResourceVersion, p.Idle()})
		return nil
	}
}

func (l *decisionLog) take() []decisionSeen {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.seen
	l.seen = nil
	return out
}

// A visit that writes the Certificate decides again on what it wrote, in
// the same visit: starting an issuance (status, key and request) and
// recording the issued revision each end with an idle decision on the
// version just written, so the Manager queues no visit for that write.
// Storing the Secret leaves the Certificate as it was, and the same visit
// decides on the stored Secret at once: it records the revision (no
// second visit loads everything again to do it).
func TestReconcile_SettlesOnItsOwnWrite(t *testing.T) {
	h := depsForTest(t)
	log := &decisionLog{}
	h.deps.Observer = log.observer()
	h.r = NewReconciler(h.deps, Options{})
	cert := harnessCert("web", "web-tls", "web.example.test")
	cert.Default() // as Manager.Apply stores it
	h.create(cert)
	ref := meta.RefOf(cert)
	before := h.get(ref).ObjectMeta.ResourceVersion

	_, err := h.r.Reconcile(h.ctx, ref)
	require.NoError(t, err)
	started := h.get(ref)
	assert.Len(t, h.requests(), 1, "the request is created")
	assert.Equal(t, []decisionSeen{{before, false}, {started.ObjectMeta.ResourceVersion, true}}, log.take(),
		"the issuance starts, then the decision on what it wrote is to wait")

	h.signPending()
	next, err := h.r.Reconcile(h.ctx, ref)
	require.NoError(t, err)
	issued := h.get(ref)
	require.True(t, issued.Status.Conditions.IsTrue(meta.ConditionReady), "the revision is recorded in the visit that stored the Secret")
	assert.Equal(t, []decisionSeen{
		{started.ObjectMeta.ResourceVersion, false}, // the Secret
		{started.ObjectMeta.ResourceVersion, false}, // the revision, on the stored Secret
		{issued.ObjectMeta.ResourceVersion, true},   // then wait for the renewal
	}, log.take())
	assert.True(t, next.After(h.clock.Now()), "only the renewal's look remains, not one at once: %v", next)
	err = h.st.Get(h.ctx, meta.Ref{Kind: meta.KindSecret, Namespace: "default", Name: "web-next-private-key"}, &secret.Secret{})
	assert.ErrorIs(t, err, store.ErrNotFound, "the next key is gone with the issuance")

	_, err = h.r.Reconcile(h.ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, []decisionSeen{{issued.ObjectMeta.ResourceVersion, true}}, log.take(), "a later visit has nothing to do")
}
