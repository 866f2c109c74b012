package request_test

import (
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/store"
)

// An ACME request is approved and its Order created with one write of the
// request: the approval is stored together with the status its Order's
// creation sets ("Created Order resource …"), and the Order is created
// after that write.
func TestApprovalIsStoredWithTheOrderItMakes(t *testing.T) {
	f := newFixture(t, nil)
	var updates atomic.Int32
	deps := f.deps
	deps.Store = storecount.New(f.deps.Store, storecount.WithObserver(func(op storecount.Op, ref meta.Ref) {
		if op == storecount.Update && ref.Kind == meta.KindCertificateRequest {
			updates.Add(1)
		}
	}))
	f.readyIssuer(t, "le", issuer.Spec{ACME: &issuer.ACMEIssuer{Server: "https://acme.example.test/dir",
		PrivateKeySecretRef: meta.LocalRef{Name: "acct"}}})
	ref := f.request(t, "r", "le", pki.CSRTemplate{DNSNames: []string{"a.example.test"}})

	_, err := request.NewReconciler(deps, request.Options{Signer: issuer.NewSigner(deps)}).Reconcile(f.ctx, ref)
	require.NoError(t, err)
	got := &request.CertificateRequest{}
	require.NoError(t, f.deps.Store.Get(f.ctx, ref, got))
	assert.True(t, got.Status.Conditions.IsTrue(meta.ConditionApproved))
	assert.Equal(t, request.ReasonOrderCreated, readyReason(got))
	orders, err := store.ListOf[order.Order](f.ctx, f.deps.Store, store.ListOptions{Kind: meta.KindOrder, Owner: &ref})
	require.NoError(t, err)
	assert.Len(t, orders, 1, "the Order is created")
	assert.Equal(t, int32(1), updates.Load(), "one write of the request")
}
