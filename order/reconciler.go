package order

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/acmepost"
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
	// post finalizes orders, keeping the CA's nonces between calls.
	post *acmepost.Client
	// thumbs keeps each client's account key thumbprint.
	thumbs thumbprints
}

var _ reconcile.Reconciler = (*Reconciler)(nil)

// NewReconciler returns a reconciler using deps and opts (zero fields of
// opts take their defaults). It starts nothing.
func NewReconciler(deps reconcile.Deps, opts Options) *Reconciler {
	opts = opts.withDefaults()
	if deps.Owner == "" {
		deps.Owner = opts.LockOwner
	}
	post := opts.Post
	if post == nil {
		post = &acmepost.Client{}
	}
	return &Reconciler{deps: deps, opts: opts, post: post}
}

// maxRounds bounds the decisions of one visit. A visit makes at most one
// ACME call (newOrder is followed by reading the order's authorizations);
// the decisions after it record what followed from the answer (Challenges
// to create, events) without waiting for the queue.
const maxRounds = 4

// Reconcile advances the Order named ref as far as one ACME call takes it
// and says when to look again.
func (r *Reconciler) Reconcile(ctx context.Context, ref meta.Ref) (time.Time, error) {
	if r.opts.Clients == nil {
		return time.Time{}, fmt.Errorf("%w: Clients is required", ErrMisconfigured)
	}
	var unrecorded *Order
	next, err := r.advance(ctx, ref, &unrecorded)
	if unrecorded != nil && ctx.Err() != nil {
		// Cancelled after the CA answered and before a write stored the
		// answer: stored now, as an effect's answer is (effect).
		return r.recordRead(ctx, unrecorded)
	}
	return next, err
}

// advance is Reconcile's visit. *unrecorded is the Order whose
// authorizations it read while they are not stored yet (deferred):
// the decision on them stores them with its plan, or recordRead does when
// the visit ends with a step instead (which is written with its intent, in
// the next visit).
func (r *Reconciler) advance(ctx context.Context, ref meta.Ref, unrecorded **Order) (time.Time, error) {
	called, last := false, stepNone
	var prev *snapshot
	var iss issuer.Object
	var cl *acme.Client
	var written *Order
	// unopened: the Order was loaded before an ACME order was opened for
	// it (no URL), so the round deciding on the authorizations this visit
	// read lists no Challenges (one List per issuance): there are none. A
	// Challenge is created only after a write of its Order holding the
	// authorizations read (ExecuteOutcome writes the object before it
	// creates children), which needs a URL, never cleared once set; so
	// none existed when the Order was loaded, and one made since (by a
	// replica) came after a write of the Order this visit did not make,
	// which fails this visit's next write, or the version check under its
	// claim, with a conflict before it acts on what it decided.
	unopened := false
	for range maxRounds {
		var s *snapshot
		var err error
		if written != nil {
			// The Order as this visit just stored it, and the issuer and
			// client it was loaded with: not read back.
			s, err = r.after(ctx, prev, iss, written, unopened)
		} else {
			s, iss, cl, err = r.load(ctx, ref)
			unopened = s != nil && s.Order.Status.URL == ""
		}
		if err != nil || s == nil {
			return time.Time{}, err
		}
		d := r.policy().decide(*s)
		if d.step == stepNone {
			d.plan.Write = d.plan.Write || *unrecorded != nil
			done := r.deps.Observe(meta.KindOrder, s, &d.plan)
			out, err := reconcile.ExecuteOutcome(ctx, r.deps, d.plan)
			next := out.Next
			done(next, err)
			if err == nil {
				*unrecorded = nil
			}
			if err != nil && written != nil && errors.Is(err, store.ErrNotFound) {
				// Deleted since the round before read it (its owner went).
				return time.Time{}, nil
			}
			if err != nil {
				return next, err
			}
			if !out.Stored() {
				// A Challenge was there already: settle would decide on the plan's.
				return out.Requeue(r.deps.Clock.Now()), nil
			}
			return r.settle(ctx, s, d.plan, next)
		}
		// Reading the authorizations of an order just opened is its own
		// step (newOrder's outcome is stored first), taken in the same
		// visit.
		if called && (last != stepNewOrder || d.step != stepAuthorizations) {
			break
		}
		v := &visit{cl: cl, o: d.plan.Object.(*Order), issuer: s.Issuer}
		if s.ACME != nil {
			v.profile, v.preferred = s.ACME.Profile, s.ACME.PreferredChain
		}
		d.plan.Effect = r.effect(d.step, v)
		next, deferred, ok, err := r.execute(ctx, iss, ref, s, d.plan)
		*unrecorded = nil
		if deferred {
			*unrecorded = v.o
		}
		if err != nil && written != nil && errors.Is(err, store.ErrNotFound) {
			// Deleted since the round before stored it (its owner went):
			// nothing is left to record on, and nothing to retry.
			return time.Time{}, nil
		}
		if !ok && err == nil && d.step == stepNewOrder && r.heldSince(iss, s) {
			// The CA rate limited the account since the snapshot: decide
			// again, which records it on the order.
			written = nil
			continue
		}
		if !ok || err != nil {
			return next, err
		}
		if !v.ran {
			return next, nil // another replica holds the step's claim
		}
		for _, e := range v.events {
			meta.RecordEvent(r.deps.Events, v.o, e.Type, e.Reason, e.Message)
		}
		called, last = true, d.step
		prev, written = s, v.o
	}
	if o := *unrecorded; o != nil {
		*unrecorded = nil
		return r.recordRead(ctx, o)
	}
	return r.deps.Clock.Now(), nil
}

// recordRead stores o, whose authorizations were read in this visit, when
// the visit ends before a decision wrote it; also when the visit was
// cancelled (RecordContext).
func (r *Reconciler) recordRead(ctx context.Context, o *Order) (time.Time, error) {
	wctx, cancel := reconcile.RecordContext(ctx)
	defer cancel()
	err := r.deps.Store.Update(wctx, o)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return time.Time{}, nil // deleted meanwhile (its owner went)
	case err != nil:
		return time.Time{}, fmt.Errorf("order: record authorizations of %s: %w", meta.RefOf(o), err)
	}
	return r.deps.Clock.Now(), nil
}

// after is the snapshot load would read once a round of this visit stored
// o (the outcome of its ACME call, with its new ResourceVersion): the
// Order as written and the issuer of prev, so neither is read back; the
// Challenges are read as load reads them, but for an Order this visit
// loaded unopened (advance). A change made meanwhile by someone
// else makes the next write fail with a conflict, and the Manager
// reloads; a change of the issuer wakes the Order again.
func (r *Reconciler) after(ctx context.Context, prev *snapshot, iss issuer.Object, o *Order, unopened bool) (*snapshot, error) {
	s := &snapshot{Order: *o, Now: r.deps.Clock.Now(), Issuer: prev.Issuer}
	switch o.Status.State {
	case StateInvalid, StateExpired, StateErrored:
		return s, nil
	case StateValid:
		if stillSettled(prev) {
			s.Challenges, s.Listed = prev.Challenges, true
			return s, nil
		}
		return s, r.loadChallenges(ctx, s)
	case StateUnknown, StatePending, StateReady, StateProcessing:
	}
	s.ACME, s.Thumbprint = prev.ACME, prev.Thumbprint
	if s.ACME == nil {
		return s, nil
	}
	if h, ok := r.opts.Accounts.(AccountHolds); ok && iss != nil && o.Status.URL == "" {
		s.AccountHold = h.HeldUntil(iss)
	}
	if readsChallenges(o) && !unopened {
		if err := r.loadChallenges(ctx, s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// execute carries out a plan with an ACME call holding a slot of the
// account, given back however Execute ends (a panic included: the Manager
// recovers it, and a leaked slot would block the account for good). ok is
// false when there was no slot: next says when to look again. deferred
// is true when the step's outcome is in p.Object only (reconcile.Defer),
// for the next write to store.
func (r *Reconciler) execute(ctx context.Context, iss issuer.Object, ref meta.Ref, s *snapshot, p reconcile.Plan) (next time.Time, deferred, ok bool, err error) {
	release, retryAt, ok := r.slot(iss, ref)
	if !ok {
		// The account is rate limited, or busy with as much work as the
		// CA is allowed to hold: do not take a worker waiting for it.
		return retryAt, false, false, nil
	}
	defer release()
	done := r.deps.Observe(meta.KindOrder, s, &p)
	out, err := reconcile.ExecuteOutcome(ctx, r.deps, p)
	done(out.Next, err)
	return out.Next, out.Deferred, true, err
}

// heldSince reports whether iss's account is held by the CA now, though it
// was not when s was loaded.
func (r *Reconciler) heldSince(iss issuer.Object, s *snapshot) bool {
	h, ok := r.opts.Accounts.(AccountHolds)
	return ok && iss != nil && !s.Now.Before(s.AccountHold) && r.deps.Clock.Now().Before(h.HeldUntil(iss))
}

// slot takes one of the account's slots for ACME work, when the client
// source hands them out.
func (r *Reconciler) slot(iss issuer.Object, ref meta.Ref) (func(), time.Time, bool) {
	if r.opts.Accounts == nil || iss == nil {
		return func() {}, time.Time{}, true
	}
	var wake func()
	if enqueue := r.opts.Enqueue; enqueue != nil {
		wake = func() { enqueue(ref) }
	}
	return r.opts.Accounts.Slot(iss, ref.String(), wake)
}

func (r *Reconciler) policy() policy {
	return policy{timeout: r.opts.Timeout, issuingTimeout: r.opts.IssuingTimeout, pendingPoll: r.opts.PendingPollInterval, noSolverRetry: r.opts.NoSolverRetry, csrs: r.opts.CSRs}
}

// load reads the snapshot of the Order named ref: nil when it is gone. A
// final Order needs nothing else; a valid one its Challenges; the others
// their issuer and its ACME client too.
func (r *Reconciler) load(ctx context.Context, ref meta.Ref) (*snapshot, issuer.Object, *acme.Client, error) {
	// Read into the snapshot itself: an Order copied into it was a second
	// allocation of ~1 KB per visit.
	s := &snapshot{}
	o := &s.Order
	if err := r.deps.Store.Get(ctx, ref, o); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil, nil, nil
		}
		return nil, nil, nil, fmt.Errorf("order: get %s: %w", ref, err)
	}
	s.Now, s.Issuer = r.deps.Clock.Now(), o.Spec.IssuerRef.Resolve(o.ObjectMeta.Namespace)
	switch o.Status.State {
	case StateInvalid, StateExpired, StateErrored:
		return s, nil, nil, nil
	case StateValid:
		return s, nil, nil, r.loadChallenges(ctx, s)
	case StateUnknown, StatePending, StateReady, StateProcessing:
	}
	iss, err := r.opts.Issuers.Get(ctx, r.deps.Store, s.Issuer)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("order: %w", err)
	}
	s.ACME = iss.IssuerSpec().ACME
	if s.ACME == nil {
		return s, iss, nil, nil
	}
	if h, ok := r.opts.Accounts.(AccountHolds); ok && o.Status.URL == "" {
		s.AccountHold = h.HeldUntil(iss)
	}
	cl, err := r.opts.Clients.Client(ctx, iss)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("order: acme client: %w", err)
	}
	if s.Thumbprint, err = r.thumbs.of(cl); err != nil {
		return nil, nil, nil, fmt.Errorf("order: account key thumbprint: %w", err)
	}
	if readsChallenges(o) {
		if err := r.loadChallenges(ctx, s); err != nil {
			return nil, nil, nil, err
		}
	}
	return s, iss, cl, nil
}

func (r *Reconciler) loadChallenges(ctx context.Context, s *snapshot) error {
	owner := meta.RefOf(&s.Order)
	chs, err := store.ListOf[challenge.Challenge](ctx, r.deps.Store, store.ListOptions{
		Kind: meta.KindChallenge, Namespace: owner.Namespace, Owner: &owner,
	})
	if err != nil {
		return fmt.Errorf("order: list challenges: %w", err)
	}
	s.Challenges, s.Listed = chs, true
	return nil
}
