package order

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/store"
)

// ErrMisconfigured means the reconciler lacks a required option.
var ErrMisconfigured = errors.New("order: reconciler misconfigured")

// Reconciler drives Orders against the issuer's ACME server. It is safe for
// concurrent use on different objects; the Manager runs at most one
// Reconcile per object at a time.
type Reconciler struct {
	deps reconcile.Deps
	opts Options
}

var _ reconcile.Reconciler = (*Reconciler)(nil)

// NewReconciler returns a reconciler using deps and opts (zero fields of
// opts take their defaults). It starts nothing.
func NewReconciler(deps reconcile.Deps, opts Options) *Reconciler {
	return &Reconciler{deps: deps, opts: opts.withDefaults()}
}

// Reconcile advances the Order named ref as far as it can and says when to
// look again.
func (r *Reconciler) Reconcile(ctx context.Context, ref meta.Ref) (time.Time, error) {
	if r.opts.Clients == nil {
		return time.Time{}, fmt.Errorf("%w: Clients is required", ErrMisconfigured)
	}
	o := &Order{}
	if err := r.deps.Store.Get(ctx, ref, o); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return time.Time{}, nil
		}
		return time.Time{}, fmt.Errorf("order: get %s: %w", ref, err)
	}
	switch {
	case o.Status.State == challenge.StateValid:
		return r.deleteChallenges(ctx, o)
	case o.Status.State.IsFinal():
		return time.Time{}, nil
	}
	now := r.deps.Clock.Now()
	if created := o.ObjectMeta.CreationTime; created != nil && !now.Before(created.Add(r.opts.Timeout)) {
		reason := fmt.Sprintf("order not valid within %v (last state %q)", r.opts.Timeout, o.Status.State)
		if o.Status.Reason != "" {
			reason += ": " + o.Status.Reason
		}
		return r.fail(ctx, o, challenge.StateErrored, ReasonTimeout, reason)
	}
	if nb := o.Status.NotBefore; nb != nil && now.Before(*nb) {
		return *nb, nil
	}

	iss, err := issuer.Get(ctx, r.deps.Store, o.Spec.IssuerRef.Resolve(o.ObjectMeta.Namespace))
	if err != nil {
		return time.Time{}, fmt.Errorf("order: %w", err)
	}
	acmeSpec := iss.IssuerSpec().ACME
	if acmeSpec == nil {
		return r.fail(ctx, o, challenge.StateErrored, ReasonFailed, fmt.Sprintf("issuer %s is not an ACME issuer", meta.RefOf(iss)))
	}
	cl, err := r.opts.Clients.Client(ctx, iss)
	if err != nil {
		return time.Time{}, fmt.Errorf("order: acme client: %w", err)
	}

	ao, next, err := r.acmeOrder(ctx, cl, o, acmeSpec.Profile)
	if ao == nil {
		return next, err
	}
	if o.Status.FinalizeURL == "" && ao.FinalizeURL != "" {
		o.Status.FinalizeURL = ao.FinalizeURL
	}
	switch ao.Status {
	case acme.StatusPending:
		return r.authorize(ctx, cl, o, ao, acmeSpec.Solvers)
	case acme.StatusReady:
		return r.finalize(ctx, cl, o, ao, acmeSpec.PreferredChain)
	case acme.StatusProcessing:
		return r.setState(ctx, o, challenge.StateProcessing, "", r.poll(o))
	case acme.StatusValid:
		return r.download(ctx, cl, o, ao, acmeSpec.PreferredChain)
	case acme.StatusInvalid:
		return r.fail(ctx, o, challenge.StateInvalid, ReasonFailed, r.invalidReason(ctx, cl, o, ao))
	case acme.StatusExpired, acme.StatusDeactivated, acme.StatusRevoked:
		return r.fail(ctx, o, challenge.StateExpired, ReasonFailed, fmt.Sprintf("ACME order %s is %s", o.Status.URL, ao.Status))
	}
	return r.fail(ctx, o, challenge.StateErrored, ReasonFailed, fmt.Sprintf("ACME order %s has unknown status %q", o.Status.URL, ao.Status))
}

// identifiers lists the order's DNS and IP identifiers; the common name is
// included when the SANs lack it, as the CSR carries it.
func identifiers(s Spec) []acme.AuthzID {
	var dnsNames, ips []string
	seen := map[string]bool{}
	add := func(v string) {
		if v == "" || seen[v] {
			return
		}
		seen[v] = true
		if net.ParseIP(v) != nil {
			ips = append(ips, v)
		} else {
			dnsNames = append(dnsNames, v)
		}
	}
	add(s.CommonName)
	for _, n := range s.DNSNames {
		add(n)
	}
	for _, ip := range s.IPAddresses {
		add(ip)
	}
	return append(acme.DomainIDs(dnsNames...), acme.IPIDs(ips...)...)
}

// acmeError turns an ACME failure into a decision: rate limited → look again
// at Retry-After; a final problem → errored with the CA's detail; anything
// else → an error to retry with backoff.
func (r *Reconciler) acmeError(ctx context.Context, o *Order, op string, err error) (time.Time, error) {
	var ae *acme.Error
	if !errors.As(err, &ae) {
		return time.Time{}, fmt.Errorf("order: %s: %w", op, err)
	}
	if d, ok := acme.RateLimit(ae); ok {
		if d <= 0 {
			d = r.opts.PollInterval
		}
		next := r.deps.Clock.Now().Add(d)
		reason := fmt.Sprintf("%s: rate limited by the CA, retrying at %s: %s", op, next.UTC().Format(time.RFC3339), ae.Detail)
		o.Status.Reason = reason
		o.Status.NotBefore = &next
		r.event(o, meta.EventWarning, ReasonRetry, reason)
		if err := r.update(ctx, o); err != nil {
			return time.Time{}, err
		}
		return next, nil
	}
	if ae.ProblemType == problemAccountDoesNotExist && r.opts.AccountGone != nil {
		// The CA forgot the account (a reset test CA, a deactivation): the
		// issuer registers again, then this order is retried with backoff.
		r.opts.AccountGone(o.Spec.IssuerRef.Resolve(o.ObjectMeta.Namespace))
		if o.Status.URL == "" {
			return time.Time{}, fmt.Errorf("order: %s: account no longer exists at the CA: %w", op, err)
		}
	}
	if ae.StatusCode >= 400 && ae.StatusCode < 500 && ae.StatusCode != 408 {
		return r.fail(ctx, o, challenge.StateErrored, ReasonFailed, fmt.Sprintf("%s: %s: %s", op, ae.ProblemType, ae.Detail))
	}
	return time.Time{}, fmt.Errorf("order: %s: %w", op, err)
}

// problemAccountDoesNotExist is RFC 8555's problem for an unknown account.
const problemAccountDoesNotExist = "urn:ietf:params:acme:error:accountDoesNotExist"

// stateOf maps an ACME order status to a State.
func stateOf(status string) challenge.State {
	switch status {
	case acme.StatusPending:
		return challenge.StatePending
	case acme.StatusReady:
		return challenge.StateReady
	case acme.StatusProcessing:
		return challenge.StateProcessing
	case acme.StatusValid:
		return challenge.StateValid
	case acme.StatusInvalid:
		return challenge.StateInvalid
	case acme.StatusExpired, acme.StatusDeactivated, acme.StatusRevoked:
		return challenge.StateExpired
	}
	return challenge.StateUnknown
}

func (r *Reconciler) update(ctx context.Context, o *Order) error {
	if err := r.deps.Store.Update(ctx, o); err != nil {
		return fmt.Errorf("order: update %s/%s: %w", o.ObjectMeta.Namespace, o.ObjectMeta.Name, err)
	}
	return nil
}

func (r *Reconciler) event(o *Order, typ meta.EventType, reason meta.Reason, msg string) {
	if r.deps.Events != nil {
		r.deps.Events.Event(meta.RefOf(o), typ, reason, msg)
	}
}

// setState records state and reason (writing only on change) and asks to
// look again after d.
func (r *Reconciler) setState(ctx context.Context, o *Order, state challenge.State, reason string, d time.Duration) (time.Time, error) {
	if o.Status.State != state || o.Status.Reason != reason {
		o.Status.State, o.Status.Reason = state, reason
		if err := r.update(ctx, o); err != nil {
			return time.Time{}, err
		}
	}
	return r.deps.Clock.Now().Add(d), nil
}

// fail makes the order final with state and reason.
func (r *Reconciler) fail(ctx context.Context, o *Order, state challenge.State, ev meta.Reason, reason string) (time.Time, error) {
	now := r.deps.Clock.Now()
	o.Status.State = state
	o.Status.Reason = reason
	o.Status.FailureTime = &now
	r.event(o, meta.EventWarning, ev, reason)
	if err := r.update(ctx, o); err != nil {
		return time.Time{}, err
	}
	return time.Time{}, nil
}

// deleteChallenges removes the Challenges of a valid order once their
// solvers cleaned up; the rest are looked at again when they change.
func (r *Reconciler) deleteChallenges(ctx context.Context, o *Order) (time.Time, error) {
	owner := meta.RefOf(o)
	chs, err := store.ListOf[challenge.Challenge](ctx, r.deps.Store, store.ListOptions{
		Kind: meta.KindChallenge, Namespace: o.ObjectMeta.Namespace, Owner: &owner,
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("order: list challenges: %w", err)
	}
	// A Challenge still cleaning up (or changed under us) is skipped: its
	// next change wakes this Order, its owner, so there is nothing to poll.
	for _, ch := range chs {
		if !challenge.SafeToDelete(ch) {
			continue
		}
		err := r.deps.Store.Delete(ctx, meta.RefOf(ch), ch.ObjectMeta.ResourceVersion)
		if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict) {
			return time.Time{}, fmt.Errorf("order: delete challenge %s: %w", ch.ObjectMeta.Name, err)
		}
	}
	return time.Time{}, nil
}

// poll is the pause before looking at the ACME order again: the CA's
// Retry-After for it when known, else PollInterval.
func (r *Reconciler) poll(o *Order) time.Duration {
	return challenge.Pace(r.opts.RetryAfter, o.Status.URL, r.opts.PollInterval)
}
