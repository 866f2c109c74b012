package certificate

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// finishingStore plays another replica that completes the issuance while
// this one loads its snapshot: right after this replica has read the
// Certificate, the other stores the new revision and deletes the next key,
// so everything read afterwards is newer than the Certificate read.
type finishingStore struct {
	store.Store
	finish func()
	once   sync.Once
}

func (s *finishingStore) Get(ctx context.Context, ref meta.Ref, into meta.Object) error {
	err := s.Store.Get(ctx, ref, into)
	if ref.Kind == meta.KindCertificate {
		s.once.Do(s.finish)
	}
	return err
}

// refuseCertUpdates refuses every write of a Certificate that records a
// revision, as a replica stopped before it made that write.
type refuseCertUpdates struct{ store.Store }

func (s refuseCertUpdates) Update(ctx context.Context, obj meta.Object) error {
	if c, ok := obj.(*Certificate); ok && c.Status.Revision != nil {
		return fmt.Errorf("stopped before writing %s: %w", meta.RefOf(obj), store.ErrConflict)
	}
	return s.Store.Update(ctx, obj)
}

// A replica whose snapshot straddles another replica's completion of the
// issuance (the Certificate before it, the next key already deleted after
// it) must not take the issued request for one made for a lost key and
// delete it: the plan deletes nothing once the Certificate has moved on.
func TestReconcile_ReplicaFinishingTheIssuanceMeanwhileKeepsTheRequest(t *testing.T) {
	h := depsForTest(t)
	c := harnessCert("web", "web-tls", "web.example.test")
	h.create(c)
	ref := meta.RefOf(c)
	secretRef := meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "web-tls"}
	// Up to the step before the revision is recorded: the request is
	// issued and the Secret written, and this replica stopped before it
	// recorded the revision (its write of the Certificate refused).
	stopped := h.deps
	stopped.Store = refuseCertUpdates{h.st}
	first := NewReconciler(stopped, Options{})
	for i := 0; ; i++ {
		require.Less(t, i, 10, "the Secret is written within 10 rounds")
		_, err := first.Reconcile(h.ctx, ref)
		if h.st.Get(h.ctx, secretRef, &secret.Secret{}) == nil {
			break
		}
		require.NoError(t, err)
		h.signPending()
	}
	require.Nil(t, h.get(ref).Status.Revision, "the revision is not recorded yet")
	require.Equal(t, []string{"web-1"}, h.requests())

	other := h.r // the replica that records the revision and deletes the next key
	fs := &finishingStore{Store: h.st, finish: func() {
		_, err := other.Reconcile(h.ctx, ref)
		require.NoError(t, err)
	}}
	deps := h.deps
	deps.Store = fs
	_, err := NewReconciler(deps, Options{}).Reconcile(h.ctx, ref)
	if err != nil {
		require.True(t, errors.Is(err, store.ErrConflict), "a stale snapshot is a conflict: %v", err)
	}
	got := h.get(ref)
	require.NotNil(t, got.Status.Revision)
	assert.Equal(t, 1, *got.Status.Revision)
	assert.Equal(t, []string{"web-1"}, h.requests(), "the issued request is kept")
	assert.Equal(t, 1, h.issued)
}
