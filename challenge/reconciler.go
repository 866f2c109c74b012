package challenge

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
)

// ErrMisconfigured means the reconciler lacks a required option.
var ErrMisconfigured = errors.New("challenge: reconciler misconfigured")

// maxSteps bounds the effects one Reconcile takes in a row before handing
// the object back to the queue.
const maxSteps = 8

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
	if deps.Events == nil {
		deps.Events = discardEvents{}
	}
	return &Reconciler{deps: deps, opts: opts.withDefaults(deps.Owner)}
}

type discardEvents struct{}

func (discardEvents) Event(meta.Ref, meta.EventType, meta.Reason, string) {}

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

// Reconcile advances the Challenge named ref: it loads a snapshot, decides,
// and executes the plan, step after step while each effect's outcome allows
// the next at once, and says when to look again.
func (r *Reconciler) Reconcile(ctx context.Context, ref meta.Ref) (time.Time, error) {
	if r.opts.Clients == nil || r.opts.SolverFor == nil || r.opts.OrderState == nil {
		return time.Time{}, fmt.Errorf("%w: Clients, SolverFor and OrderState are required", ErrMisconfigured)
	}
	s, found, err := r.load(ctx, ref)
	if err != nil || !found {
		return time.Time{}, err
	}
	// Events of an effect's outcome are recorded once that outcome is
	// stored, so whoever reads one finds the reason on the object: those
	// of a deferred outcome wait for the write that stores it, and are
	// dropped with it when the visit ends first (a step that fails after
	// it stores it first: storeHeld).
	var events []reconcile.Event
	// held is the Challenge holding a deferred outcome not stored yet.
	var held *Challenge
	// gone is the owner a step found gone (outcome.gone).
	var gone error
	for i := 0; ; i++ {
		p := decide(s.snapshot, r.opts)
		ch := p.Object.(*Challenge)
		early := &earlyCheck{}
		if p.Effect != nil {
			p.Effect.Do = r.bind(step(p.Effect.Name), s, ch, &events, &gone, early)
		}
		// A deferred outcome (a passed self-check: Next is now; an
		// unchanged authorization: Next is the next look; a final one
		// whose clean-up stays in the Store) goes on like a stored one:
		// ch holds it, and the next decision's write stores it (past
		// maxSteps, the next visit takes the step again).
		next, deferred, ok, err := r.execute(ctx, s, ch, p, early)
		if !ok {
			// No slot of the account: nothing was written, so the same
			// step is decided again when the slot comes.
			return r.byTimeout(ch, next), nil
		}
		if err != nil {
			if held != nil {
				err = r.storeHeld(ctx, held, ch, events, err)
			}
			return time.Time{}, err
		}
		if !deferred {
			for _, e := range events {
				meta.RecordEvent(r.deps.Events, ch, e.Type, e.Reason, e.Message)
			}
			events, held = events[:0], nil
		} else {
			held = ch
		}
		if gone != nil {
			return time.Time{}, gone
		}
		if p.Effect == nil || i+1 >= maxSteps || next.After(r.deps.Clock.Now()) {
			return r.byTimeout(ch, next), nil
		}
		// The effect's outcome is stored and ch holds it with its new
		// ResourceVersion: decide again on it (a concurrent change makes
		// the next write fail with a conflict, and the Manager reloads).
		s.observe(ch, r.deps.Clock.Now())
	}
}

// byTimeout is next, or the end of ch's Timeout when that comes first and
// ch is not final: a pause the CA asked for (a Retry-After of a year) is
// honoured, no request goes to the CA before it, but the challenge still
// fails at its Timeout (decide) and cleans up what it presented.
func (r *Reconciler) byTimeout(ch *Challenge, next time.Time) time.Time {
	created := ch.ObjectMeta.CreationTime
	if created == nil || next.IsZero() || ch.Status.State.IsFinal() {
		return next
	}
	if end := created.Add(r.opts.Timeout); next.After(end) {
		return end
	}
	return next
}

// storeHeld stores held, a deferred outcome (the CA's verdict of a
// StoreServed challenge, waiting to be stored with its clean-up), when the
// step after it failed (stepErr) before storing it: a verdict learned from
// the CA is not dropped because its clean-up failed, or the Order would
// never learn it, and each retry would ask the CA again. ch is the plan
// object of the failed step: if its version moved, the plan's own write
// stored held's outcome already. The events of the outcome are recorded
// once it is stored. It returns stepErr, joined with the write's error.
func (r *Reconciler) storeHeld(ctx context.Context, held, ch *Challenge, events []reconcile.Event, stepErr error) error {
	if errors.Is(stepErr, store.ErrConflict) {
		return stepErr // held is stale too
	}
	if ch.ObjectMeta.ResourceVersion == held.ObjectMeta.ResourceVersion {
		wctx, cancel := reconcile.RecordContext(ctx)
		defer cancel()
		if err := r.deps.Store.Update(wctx, held); err != nil {
			return errors.Join(stepErr, fmt.Errorf("challenge: store the outcome before the failed step: %w", err))
		}
	}
	for _, e := range events {
		meta.RecordEvent(r.deps.Events, held, e.Type, e.Reason, e.Message)
	}
	return stepErr
}

// execute carries out p. A step that talks to the CA first takes a slot
// of the account (as the order reconciler does), before anything of the
// plan is written — so the accept intent is not recorded while no slot is
// free — and gives it back however Execute ends. ok is false when there
// was no slot: next says when to look again.
func (r *Reconciler) execute(ctx context.Context, l loaded, ch *Challenge, p reconcile.Plan, early *earlyCheck) (next time.Time, deferred, ok bool, err error) {
	if p.Effect != nil && step(p.Effect.Name).talksToCA() {
		release, retryAt, ok := r.slot(l)
		if !ok {
			return retryAt, false, false, nil
		}
		defer release()
	}
	if p.Effect != nil && step(p.Effect.Name) == stepCheckAccept {
		// Started once the slot is held, so a busy account wastes no check.
		r.startCheck(ctx, l, ch, early)
		defer early.stop()
	}
	done := r.deps.Observe(meta.KindChallenge, l.snapshot, &p)
	out, err := reconcile.ExecuteOutcome(ctx, r.claimDeps(ch), p)
	done(out.Next, err)
	return out.Next, out.Deferred, true, err
}

// claimDeps gives each challenge its own claim owner, so that two
// challenges sharing a DNS-01 record name exclude each other even in one
// process.
func (r *Reconciler) claimDeps(ch *Challenge) reconcile.Deps {
	d := r.deps
	d.Owner = r.opts.LockOwner + "/" + ch.ObjectMeta.Namespace + "/" + ch.ObjectMeta.Name
	return d
}

// loaded is a snapshot plus what the effects need but decisions do not.
type loaded struct {
	snapshot
	solver    solver.Solver // nil when SolverErr is set
	issuer    issuer.Object // nil when issuerErr is set
	issuerErr error
}

// observe makes ch, as of now, the snapshot's Challenge.
func (l *loaded) observe(ch *Challenge, now time.Time) {
	l.Challenge, l.Now = ch, now
	_, namer := l.solver.(solver.RecordNamer)
	l.NeedsRecordName = namer && ch.Status.RecordName == ""
	l.StoreServed = solver.IsStoreServed(l.solver)
}

// load reads everything the decision about ref needs. found is false when
// the Challenge is gone.
func (r *Reconciler) load(ctx context.Context, ref meta.Ref) (loaded, bool, error) {
	ch := &Challenge{}
	if err := r.deps.Store.Get(ctx, ref, ch); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return loaded{}, false, nil
		}
		return loaded{}, false, fmt.Errorf("challenge: get %s: %w", ref, err)
	}
	l := loaded{snapshot: snapshot{Challenge: ch, Now: r.deps.Clock.Now()}}
	st := &ch.Status
	if st.CleanedUp {
		return l, true, nil
	}
	if !st.State.IsFinal() {
		// An accepted challenge waits for the CA's verdict whatever its
		// Order became (decide), so its visits, the looks at the
		// authorization, read no Order.
		if !st.Accepted {
			reason, err := r.abandonReason(ctx, ch)
			if err != nil {
				return loaded{}, false, err
			}
			l.Abandon = reason
		}
		l.issuer, l.issuerErr = r.opts.Issuers.Get(ctx, r.deps.Store, ch.Spec.IssuerRef.Resolve(ch.ObjectMeta.Namespace))
		if l.issuerErr != nil {
			l.issuerErr = fmt.Errorf("challenge: %w", l.issuerErr)
		}
	}
	s, err := r.opts.SolverFor(ctx, ch)
	if err == nil && s == nil {
		err = fmt.Errorf("%w: nil solver", ErrMisconfigured)
	}
	if err != nil {
		l.SolverErr = err
		return l, true, nil
	}
	l.solver = s
	l.observe(ch, l.Now)
	return l, true, nil
}
