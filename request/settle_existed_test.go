package request_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/store"
)

// orderStoredFirst plays another replica, or an earlier visit that ended
// before deciding on its Order: when this visit creates the request's
// Order, one of the same name, already failed at the CA, is stored first.
type orderStoredFirst struct {
	store.Store
	t      *testing.T
	stored bool
}

func (s *orderStoredFirst) Create(ctx context.Context, obj meta.Object) error {
	if o, ok := obj.(*order.Order); ok && !s.stored {
		s.stored = true
		theirs := &order.Order{TypeMeta: o.TypeMeta, ObjectMeta: o.ObjectMeta, Spec: o.Spec,
			Status: order.Status{State: order.StateInvalid, Reason: "failed at another replica"}}
		require.NoError(s.t, s.Store.Create(ctx, theirs))
	}
	return s.Store.Create(ctx, obj)
}

// A visit whose Order turns out to be stored already (and failed) does not
// decide on the Order it meant to create — that decision waits for an
// Order that never changes again: the request is looked at again at once,
// and that visit fails it on the Order stored.
func TestReconcile_OrderStoredAlreadyIsDecidedOnAsStored(t *testing.T) {
	f := newFixture(t, nil)
	type decided struct {
		rv     string
		write  bool
		create bool // the decision that creates the Order
	}
	var seen []decided
	deps := f.deps
	deps.Store = &orderStoredFirst{Store: f.deps.Store, t: t}
	deps.Observer = func(_ meta.Kind, _ any, p *reconcile.Plan) func(time.Time, error) {
		seen = append(seen, decided{p.Object.GetMeta().ResourceVersion, p.Write, len(p.Create) > 0})
		return nil
	}
	f.readyIssuer(t, "le", issuer.Spec{ACME: &issuer.ACMEIssuer{Server: "https://acme.example.test/dir",
		PrivateKeySecretRef: meta.LocalRef{Name: "acct"}}})
	ref := f.request(t, "r", "le", pki.CSRTemplate{DNSNames: []string{"a.example.test"}})

	next, err := request.NewReconciler(deps, request.Options{Signer: issuer.NewSigner(deps)}).Reconcile(f.ctx, ref)
	require.NoError(t, err)
	got := &request.CertificateRequest{}
	require.NoError(t, f.deps.Store.Get(f.ctx, ref, got))
	for _, d := range seen {
		assert.NotEqual(t, decided{rv: got.ObjectMeta.ResourceVersion}, d,
			"no decision on the version written, made with the Order the plan meant to create")
	}
	require.False(t, next.IsZero(), "looked at again")
	assert.False(t, next.After(f.deps.Clock.Now()), "at once")

	got = f.reconcile(t, ref)
	assert.Equal(t, request.ReasonFailed, readyReason(got), "decided on the Order stored")
	assert.Contains(t, got.Status.Conditions.Get(meta.ConditionReady).Message, "failed at another replica")
}
