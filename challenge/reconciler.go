package challenge

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
)

// ErrMisconfigured means the reconciler lacks a required option.
var ErrMisconfigured = errors.New("challenge: reconciler misconfigured")

// Reconciler drives Challenges: present → self-check → accept → wait →
// clean up. It is safe for concurrent use on different objects; the Manager
// runs at most one Reconcile per object at a time.
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

// SafeToDelete reports whether deleting ch cannot leak what its solver
// presented: it was cleaned up, or the solver was never called.
func SafeToDelete(ch *Challenge) bool {
	return ch.Status.CleanedUp || !(ch.Status.Processing || ch.Status.Presented)
}

// Serving reports whether the Manager should answer the CA for ch (HTTP-01
// token, TLS-ALPN-01 certificate): presented and not yet cleaned up.
func Serving(ch *Challenge) bool {
	return ch.Status.Presented && !ch.Status.CleanedUp
}

// Reconcile advances the Challenge named ref by as many steps as it can and
// says when to look again.
func (r *Reconciler) Reconcile(ctx context.Context, ref meta.Ref) (time.Time, error) {
	if r.opts.Clients == nil || r.opts.SolverFor == nil {
		return time.Time{}, fmt.Errorf("%w: Clients and SolverFor are required", ErrMisconfigured)
	}
	ch := &Challenge{}
	if err := r.deps.Store.Get(ctx, ref, ch); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return time.Time{}, nil
		}
		return time.Time{}, fmt.Errorf("challenge: get %s: %w", ref, err)
	}
	now := r.deps.Clock.Now()
	if ch.Status.State.IsFinal() {
		return r.finish(ctx, ch)
	}
	if created := ch.ObjectMeta.CreationTime; created != nil && !now.Before(created.Add(r.opts.Timeout)) {
		reason := fmt.Sprintf("challenge not finished within %v", r.opts.Timeout)
		if ch.Status.Reason != "" {
			reason += ": " + ch.Status.Reason
		}
		return r.fail(ctx, ch, StateErrored, reason)
	}
	if nb := ch.Status.NotBefore; nb != nil && now.Before(*nb) {
		return *nb, nil
	}
	if ch.Status.Accepted {
		// The CA's verdict is on its way and explains more than anything
		// else could, so an accepted challenge waits for it.
		return r.wait(ctx, ch)
	}
	reason, err := r.abandonReason(ctx, ch)
	if err != nil {
		return time.Time{}, err
	}
	if reason != "" {
		return r.fail(ctx, ch, StateErrored, "abandoned: "+reason)
	}
	if !ch.Status.Presented {
		return r.present(ctx, ch)
	}
	return r.checkAndAccept(ctx, ch)
}

// update writes ch (its status) back; the Store refreshes ResourceVersion.
func (r *Reconciler) update(ctx context.Context, ch *Challenge) error {
	if err := r.deps.Store.Update(ctx, ch); err != nil {
		return fmt.Errorf("challenge: update %s/%s: %w", ch.ObjectMeta.Namespace, ch.ObjectMeta.Name, err)
	}
	return nil
}

// setReason records reason and an event once; repeated identical reasons
// write nothing, so a retry loop does not churn the Store.
func (r *Reconciler) setReason(ctx context.Context, ch *Challenge, typ meta.EventType, ev meta.Reason, reason string) error {
	if ch.Status.Reason == reason {
		return nil
	}
	ch.Status.Reason = reason
	// Stored first, so whoever reads the event finds the reason on the object.
	if err := r.update(ctx, ch); err != nil {
		return err
	}
	r.event(ch, typ, ev, reason)
	return nil
}

func (r *Reconciler) event(ch *Challenge, typ meta.EventType, reason meta.Reason, msg string) {
	if r.deps.Events != nil {
		r.deps.Events.Event(meta.RefOf(ch), typ, reason, msg)
	}
}

// fail makes ch final with state and reason, then cleans up.
func (r *Reconciler) fail(ctx context.Context, ch *Challenge, state State, reason string) (time.Time, error) {
	ch.Status.State = state
	ch.Status.Reason = reason
	r.event(ch, meta.EventWarning, ReasonFailed, reason)
	if err := r.update(ctx, ch); err != nil {
		return time.Time{}, err
	}
	return r.finish(ctx, ch)
}

func (r *Reconciler) client(ctx context.Context, ch *Challenge) (*acme.Client, error) {
	iss, err := issuer.Get(ctx, r.deps.Store, ch.Spec.IssuerRef.Resolve(ch.ObjectMeta.Namespace))
	if err != nil {
		return nil, fmt.Errorf("challenge: %w", err)
	}
	cl, err := r.opts.Clients.Client(ctx, iss)
	if err != nil {
		return nil, fmt.Errorf("challenge: acme client: %w", err)
	}
	return cl, nil
}

// solverFor wraps SolverFor with a uniform error.
func (r *Reconciler) solverFor(ctx context.Context, ch *Challenge) (solver.Solver, error) {
	s, err := r.opts.SolverFor(ctx, ch)
	if err != nil {
		return nil, fmt.Errorf("challenge: solver for %s: %w", ch.ObjectMeta.Name, err)
	}
	if s == nil {
		return nil, fmt.Errorf("challenge: solver for %s: %w: nil solver", ch.ObjectMeta.Name, ErrMisconfigured)
	}
	return s, nil
}

// rateLimited turns a 429 into a reason and the CA's Retry-After; ok is
// false for any other error.
func (r *Reconciler) rateLimited(ctx context.Context, ch *Challenge, err error) (time.Time, bool, error) {
	d, ok := acme.RateLimit(unwrapACME(err))
	if !ok {
		return time.Time{}, false, nil
	}
	if d <= 0 {
		d = r.opts.PollInterval
	}
	next := r.deps.Clock.Now().Add(d)
	reason := fmt.Sprintf("rate limited by the CA, retrying at %s: %s", next.UTC().Format(time.RFC3339), acmeDetail(err))
	ch.Status.NotBefore = &next
	ch.Status.Reason = reason
	r.event(ch, meta.EventWarning, ReasonRateLimited, reason)
	return next, true, r.update(ctx, ch)
}

// problemAccountDoesNotExist is RFC 8555's problem for an unknown account.
const problemAccountDoesNotExist = "urn:ietf:params:acme:error:accountDoesNotExist"

// noticeAccountGone tells the Manager when the CA forgot the issuer's
// account, so the issuer registers again before the next attempt.
func (r *Reconciler) noticeAccountGone(ch *Challenge, err error) {
	var ae *acme.Error
	if r.opts.AccountGone != nil && errors.As(err, &ae) && ae.ProblemType == problemAccountDoesNotExist {
		r.opts.AccountGone(ch.Spec.IssuerRef.Resolve(ch.ObjectMeta.Namespace))
	}
}

// unwrapACME finds an *acme.Error in err's chain (acme.RateLimit needs the
// concrete type).
func unwrapACME(err error) error {
	var ae *acme.Error
	if errors.As(err, &ae) {
		return ae
	}
	return err
}

// acmeDetail renders an ACME problem as "type: detail", or err as is.
func acmeDetail(err error) string {
	var ae *acme.Error
	if errors.As(err, &ae) {
		if ae.ProblemType == "" {
			return ae.Detail
		}
		return ae.ProblemType + ": " + ae.Detail
	}
	return err.Error()
}

// finalACMEError reports whether err is a CA answer that retrying cannot
// change (a 4xx problem other than rate limiting and badNonce).
func finalACMEError(err error) bool {
	var ae *acme.Error
	if !errors.As(err, &ae) {
		return false
	}
	if _, rl := acme.RateLimit(ae); rl {
		return false
	}
	return ae.StatusCode >= 400 && ae.StatusCode < 500 && ae.StatusCode != 408
}
