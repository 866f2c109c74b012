package certificate

import (
	"context"
	"maps"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/store"
)

// requestStoredFirst plays another replica, or an earlier visit that ended
// before deciding on its request: when this visit creates its
// CertificateRequest, one of the same name made for another key is
// stored already.
type requestStoredFirst struct {
	store.Store
	t      *testing.T
	csr    []byte
	stored bool
}

func (s *requestStoredFirst) Create(ctx context.Context, obj meta.Object) error {
	if req, ok := obj.(*request.CertificateRequest); ok && !s.stored {
		s.stored = true
		theirs := &request.CertificateRequest{ObjectMeta: req.ObjectMeta, Spec: req.Spec}
		theirs.ObjectMeta.Labels = map[string]string{"made-by": "another replica"}
		maps.Copy(theirs.ObjectMeta.Labels, req.ObjectMeta.Labels)
		theirs.Spec.Request = s.csr
		require.NoError(s.t, s.Store.Create(ctx, theirs))
	}
	return s.Store.Create(ctx, obj)
}

// A visit whose request turns out to be stored already (made for another
// key) does not decide on the request it meant to create: it has the
// Certificate looked at again at once, and that visit, reading the Store,
// replaces the request that can never complete this issuance.
func TestReconcile_RequestStoredAlreadyIsDecidedOnAsStored(t *testing.T) {
	h := depsForTest(t)
	log := &decisionLog{}
	h.deps.Observer = log.observer()
	cert := harnessCert("web", "web-tls", "web.example.test")
	cert.Default()
	h.create(cert)
	ref := meta.RefOf(cert)
	before := h.get(ref).ObjectMeta.ResourceVersion

	otherCSR, err := buildCSR(&cert.Spec, testKey(t, "other-ec-256", "ECDSA", 256))
	require.NoError(t, err)
	deps := h.deps
	deps.Store = &requestStoredFirst{Store: h.st, t: t, csr: otherCSR}
	next, err := NewReconciler(deps, Options{}).Reconcile(h.ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, []decisionSeen{{before, false}}, log.take(),
		"no decision on the version written, made with the request the plan meant to create")
	require.False(t, next.IsZero(), "looked at again")
	assert.False(t, next.After(h.clock.Now()), "at once")

	stored := &request.CertificateRequest{}
	require.NoError(t, h.st.Get(h.ctx, meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "ns", Name: "web-1"}, stored))
	require.Equal(t, "another replica", stored.ObjectMeta.Labels["made-by"], "the stored request was kept")

	// The visit it asked for, and the next, decide on what is stored.
	h.settle(5, ref)
	require.NoError(t, h.st.Get(h.ctx, meta.RefOf(stored), stored))
	assert.Empty(t, stored.ObjectMeta.Labels["made-by"], "the request made for another key is replaced")
	assert.True(t, h.get(ref).Status.Conditions.IsTrue(meta.ConditionReady), "and the Certificate issued")
}
