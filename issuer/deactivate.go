package issuer

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/store"
)

// ErrNoAccount means the issuer has no registered ACME account to act on
// (it is not an ACME issuer, or its account was never registered).
var ErrNoAccount = errors.New("issuer: no registered ACME account")

// markAttempts bounds how often DeactivateAccount rereads an issuer whose
// status another writer changed meanwhile.
const markAttempts = 10

// DeactivateAccount deactivates the ACME account of the issuer named ref at
// its CA (RFC 8555 §7.3.6): the CA refuses every later request of the
// account. The intent is recorded first — status.acme.deactivated and
// Ready=False with reason ACMEAccountDeactivated — so from then on no
// reconcile uses the account or silently registers another, even if the
// process dies before the CA answers; calling it again finishes the job.
// A new account is registered only once the account key Secret is
// replaced or deleted.
//
// Errors: ErrNoAccount; the CA's refusal (an *acme.Error); Store errors.
// The caller records the event: it knows whether an event writer runs.
func (r *Reconciler) DeactivateAccount(ctx context.Context, ref meta.Ref) error {
	obj, again, err := r.markDeactivated(ctx, ref)
	if err != nil {
		return err
	}
	// Orders must not keep using a cached client of the account.
	r.clients.forget(ref)
	a, st := obj.IssuerSpec().ACME, obj.IssuerStatus().ACME
	ns := r.deps.SecretNamespace(ref)
	key, problem, err := loadAccountKey(ctx, r.deps.Store, ns, a)
	if err != nil {
		return fmt.Errorf("issuer: deactivate account of %s: %w", ref, err)
	}
	if key == nil || accountKeyHash(key) != st.LastPrivateKeyHash {
		// The Secret's key changed since registration: the copy is the
		// account's key.
		if key, err = readAccountCopy(ctx, r.deps.Store, ref, ns); err != nil {
			return fmt.Errorf("issuer: deactivate account of %s: %w", ref, err)
		}
		if key == nil || accountKeyHash(key) != st.LastPrivateKeyHash {
			return fmt.Errorf("issuer: deactivate account of %s: %w: its key is not available (%s)", ref, ErrNoAccount, problem)
		}
	}
	e, err := r.clients.build(a, key, st.URI, clientKey{})
	if err != nil {
		return fmt.Errorf("issuer: deactivate account of %s: %w", ref, err)
	}
	if e.transport != nil {
		defer e.transport.CloseIdleConnections()
	}
	ctx, cancel := context.WithTimeout(ctx, acmeCallTimeout)
	defer cancel()
	err = e.client.DeactivateReg(acmeproto.WithAction(ctx, acmeproto.ActionDeactivateReg))
	var ae *acme.Error
	if again && errors.As(err, &ae) && ae.ProblemType == acmeproto.ProblemUnauthorized {
		err = nil // a retry: the CA refuses the account because it is deactivated
	}
	if err != nil {
		return fmt.Errorf("issuer: deactivate account of %s: %w", ref, err)
	}
	return nil
}

// markDeactivated records on the issuer named ref that its account is
// being deactivated, and returns the issuer and whether it was recorded
// already (an earlier call).
func (r *Reconciler) markDeactivated(ctx context.Context, ref meta.Ref) (Object, bool, error) {
	for attempt := 1; ; attempt++ {
		obj, err := Get(ctx, r.deps.Store, ref)
		if err != nil {
			return nil, false, err
		}
		st := obj.IssuerStatus().ACME
		if obj.IssuerSpec().ACME == nil || st == nil || st.URI == "" {
			return nil, false, fmt.Errorf("issuer: deactivate account of %s: %w", ref, ErrNoAccount)
		}
		if st.Deactivated {
			return obj, true, nil
		}
		st.Deactivated = true
		var p reconcile.Plan
		setReady(&p, obj, meta.ConditionFalse, ReasonACMEAccountDeactivated, msgDeactivated, r.deps.Clock.Now())
		err = r.deps.Store.Update(ctx, obj)
		if err == nil {
			return obj, false, nil
		}
		if !errors.Is(err, store.ErrConflict) || attempt == markAttempts {
			return nil, false, fmt.Errorf("issuer: deactivate account of %s: %w", ref, err)
		}
	}
}
