package challenge

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/solver"
)

// outcome collects what an effect records: it changes the Challenge that
// Execute then stores, and queues the events to record after that.
type outcome struct {
	ch     *Challenge
	now    time.Time
	events *[]reconcile.Event
	// gone is set by a step that found the owner chain broken itself (a
	// resumed accept) and recorded what that means for the Challenge: the
	// visit ends with it once that outcome is stored.
	gone *error
	// ca is the CA's directory URL, the key of the learned first pause.
	ca string
}

func (o outcome) event(typ meta.EventType, reason meta.Reason, msg string) {
	*o.events = append(*o.events, reconcile.Event{Type: typ, Reason: reason, Message: msg})
}

// failed makes the challenge final; the next decision cleans up.
func (o outcome) failed(state State, reason string) {
	o.ch.Status.State = state
	o.ch.Status.Reason = reason
	o.ch.Status.NotBefore = nil
	o.event(meta.EventWarning, ReasonFailed, reason)
}

func (o outcome) notBefore(d time.Duration) {
	t := o.now.Add(d)
	o.ch.Status.NotBefore = &t
}

// bind returns the I/O that performs step for the challenge ch (the plan's
// object) loaded as l.
func (r *Reconciler) bind(s step, l loaded, ch *Challenge, events *[]reconcile.Event, gone *error, early *earlyCheck) func(context.Context) error {
	out := func() outcome {
		return outcome{ch: ch, now: r.deps.Clock.Now(), events: events, gone: gone, ca: caOf(l)}
	}
	switch s {
	case stepRecordName:
		return func(ctx context.Context) error { return r.recordName(ctx, l, out()) }
	case stepPresent:
		return func(ctx context.Context) error { return r.present(ctx, l, out()) }
	case stepSelfCheck:
		return func(ctx context.Context) error { return r.check(ctx, l, out()) }
	case stepCheckAccept:
		return func(ctx context.Context) error { return r.checkThenAccept(ctx, l, out(), early) }
	case stepAccept:
		return func(ctx context.Context) error { return r.accept(ctx, l, out(), false) }
	case stepResumeAccept:
		return func(ctx context.Context) error { return r.accept(ctx, l, out(), true) }
	case stepAuthorization:
		return func(ctx context.Context) error { return r.poll(ctx, l, out()) }
	case stepCleanUp:
		return func(ctx context.Context) error { return r.cleanUp(ctx, l, out()) }
	}
	return func(context.Context) error { return fmt.Errorf("%w: unknown step %q", ErrMisconfigured, s) }
}

func (r *Reconciler) presentFailed(o outcome, reason string) {
	recordPresentFailure(&o.ch.Status, r.opts, o.now, reason)
	o.event(meta.EventWarning, ReasonPresentError, reason)
}

func (r *Reconciler) recordName(ctx context.Context, l loaded, o outcome) error {
	rn, ok := l.solver.(solver.RecordNamer)
	if !ok {
		return fmt.Errorf("%w: solver names no record", ErrMisconfigured)
	}
	pctx, cancel := context.WithTimeout(ctx, r.opts.PresentTimeout)
	defer cancel()
	name, err := rn.RecordName(pctx, o.ch.Info())
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		r.presentFailed(o, "present: record name: "+err.Error())
		return nil
	}
	o.ch.Status.RecordName = name
	return nil
}

func (r *Reconciler) present(ctx context.Context, l loaded, o outcome) error {
	pctx, cancel := context.WithTimeout(ctx, r.opts.PresentTimeout)
	defer cancel()
	if err := l.solver.Present(pctx, o.ch.Info()); err != nil {
		if ctx.Err() != nil {
			return err // stopped, not failed: nothing is counted
		}
		r.presentFailed(o, "present: "+err.Error())
		return nil
	}
	st := &o.ch.Status
	now := o.now
	// Already stored as the intent, unless the solver is StoreServed.
	st.Processing = true
	if st.State == StateUnknown {
		st.State = StatePending
	}
	st.Presented, st.PresentedAt = true, &now
	st.Reason, st.NotBefore = "", nil
	st.SelfCheckPassed, st.SelfCheckFailures = false, 0
	o.event(meta.EventNormal, ReasonPresented, fmt.Sprintf("presented %s challenge for %s", o.ch.Spec.Type, o.ch.Spec.DNSName))
	return nil
}

func (r *Reconciler) check(ctx context.Context, l loaded, o outcome) error {
	return r.checked(ctx, o, r.selfCheck(ctx, l, o.ch))
}

// selfCheck checks what ch presents, within AttemptTimeout.
func (r *Reconciler) selfCheck(ctx context.Context, l loaded, ch *Challenge) error {
	cctx, cancel := context.WithTimeout(ctx, r.opts.AttemptTimeout)
	defer cancel()
	if r.opts.SelfCheck != nil {
		return r.opts.SelfCheck(cctx, ch, l.solver)
	}
	if c, ok := l.solver.(solver.Checker); ok {
		return c.Check(cctx, ch.Info())
	}
	return nil
}

// checked records the outcome err of a self-check in o.
func (r *Reconciler) checked(ctx context.Context, o outcome, err error) error {
	st := &o.ch.Status
	if err == nil {
		// Not written on its own: the accept intent, decided next, stores
		// it with Accepting in one write. Until then it lives only in this
		// reconcile, and a crash or a missing account slot before that
		// write costs no more than checking again (the check is local and
		// changes nothing anywhere).
		st.SelfCheckPassed, st.Reason = true, ""
		return reconcile.Defer(time.Time{})
	}
	if ctx.Err() != nil {
		return err
	}
	reason := err.Error()
	if !errors.Is(err, solver.ErrSelfCheck) {
		reason = "self-check: " + reason
	}
	st.SelfCheckFailures++
	if st.Reason != reason {
		o.event(meta.EventNormal, ReasonSelfCheck, reason)
	}
	st.Reason = reason
	o.notBefore(r.selfCheckPause(o.ch))
	return nil
}

// selfCheckPause is the pause after the latest failed self-check. An
// HTTP-01 or TLS-ALPN-01 answer this process serves is usually seen at
// once, and when not (a load balancer reaching a replica whose copy of the
// challenge is a moment behind) soon: those checks follow the polling
// policy, from PollInterval doubling up to SelfCheckInterval. A DNS-01
// record takes its time to reach every authoritative server: its checks
// are SelfCheckInterval apart.
func (r *Reconciler) selfCheckPause(ch *Challenge) time.Duration {
	if ch.Spec.Type == solver.DNS01 {
		return r.opts.SelfCheckInterval
	}
	return acmeproto.Poll{First: r.opts.PollInterval, Max: r.opts.SelfCheckInterval}.Pause(ch.Status.SelfCheckFailures, 0)
}

// accept tells the CA to validate. When resuming an accept that may have
// been sent already, it reads the authorization first and accepts only if
// the challenge is still pending there.
func (r *Reconciler) accept(ctx context.Context, l loaded, o outcome, resume bool) error {
	return r.acme(ctx, l, func(ctx context.Context, cl *acme.Client) error {
		ch := o.ch
		if resume {
			authz, err := cl.GetAuthorization(acmeproto.WithAction(ctx, acmeproto.ActionGetAuthorization), ch.Spec.AuthorizationURL)
			if err != nil {
				return r.acmeFailure(o, "get authorization", err)
			}
			if r.alreadyAccepted(o, authz) {
				return nil
			}
			if err := r.ownersStand(ctx, ch); err != nil {
				if !errors.Is(err, reconcile.ErrOwnerGone) {
					return err
				}
				// No accept reached the CA, and none is wanted now: the
				// intent is dropped, so the orphan cleans up and is
				// collected instead of reading the authorization again on
				// every visit. The visit ends once that is stored, with
				// err (the Manager collects what the gone owner owned):
				// deciding on, it would store a fresh intent only for the
				// owner check to refuse the accept.
				ch.Status.Accepting = false
				*o.gone = err
				return nil
			}
		}
		fetched, unwatch := r.watchFetches(ch)
		defer unwatch()
		answer, err := cl.Accept(acmeproto.WithAction(ctx, acmeproto.ActionAcceptChallenge), &acme.Challenge{URI: ch.Spec.URL})
		if err != nil {
			if !resume && acmeproto.Classify(err, o.now).Class == acmeproto.Terminal {
				// The CA may refuse because the challenge is no longer
				// pending (accepted by an earlier attempt whose outcome was
				// lost): look before failing.
				if authz, gerr := cl.GetAuthorization(acmeproto.WithAction(ctx, acmeproto.ActionGetAuthorization), ch.Spec.AuthorizationURL); gerr == nil && r.alreadyAccepted(o, authz) {
					return nil
				}
			}
			return r.acmeFailure(o, "accept", err)
		}
		st := &ch.Status
		st.Accepting, st.Accepted = true, true
		st.State, st.Reason = StateProcessing, ""
		// The CA validates from its answer on, so the polls are timed
		// from there, not from when the POST left: an accept that took
		// a few milliseconds would otherwise spend the first pause on
		// its own round trip, and the first look come too early to find
		// anything but "processing".
		o.now = r.deps.Clock.Now()
		answered := o.now
		st.AcceptedAt = &answered
		if answer != nil && acmeproto.Status(answer.Status).Final() {
			// The answer carries the verdict already (a CA that validated
			// before answering): the authorization is read at once, in
			// this visit, rather than one pause and one more visit later.
			o.notBefore(0)
		} else if d, hinted := r.firstPoll(o); hinted || !r.awaitFetch(ctx, o, fetched, d) {
			o.notBefore(d)
		}
		o.event(meta.EventNormal, ReasonAccepted, "the CA was asked to validate the challenge")
		return nil
	})
}

// alreadyAccepted records authz if it shows that the CA needs no accept
// for this challenge any more: the authorization is final, or the
// challenge left pending.
func (r *Reconciler) alreadyAccepted(o outcome, authz *acme.Authorization) bool {
	mine := acmeproto.StatusPending
	for _, c := range authz.Challenges {
		if c.URI == o.ch.Spec.URL {
			mine = acmeproto.Status(c.Status)
		}
	}
	if !acmeproto.Status(authz.Status).Final() && mine == acmeproto.StatusPending {
		return false
	}
	o.ch.Status.Accepted = true
	r.recordAuthorization(o, authz)
	return true
}

// poll reads the authorization of an accepted challenge. An answer that
// changes nothing status records is not written (a write would wake the
// Order with nothing new, and churn the Store once per poll): poll defers
// it (reconcile.Defer) to when to look next.
func (r *Reconciler) poll(ctx context.Context, l loaded, o outcome) error {
	return r.acme(ctx, l, func(ctx context.Context, cl *acme.Client) error {
		authz, err := cl.GetAuthorization(acmeproto.WithAction(ctx, acmeproto.ActionGetAuthorization), o.ch.Spec.AuthorizationURL)
		if err != nil {
			return r.acmeFailure(o, "get authorization", err)
		}
		final := acmeproto.Status(authz.Status).Final()
		r.learn(o, final)
		st := &o.ch.Status
		if !final && st.Reason == "" && st.State == challengeState(authz, o.ch.Spec.URL) {
			return reconcile.Defer(o.now.Add(r.authzPoll(o)))
		}
		r.recordAuthorization(o, authz)
		if l.StoreServed && o.ch.Status.State.IsFinal() {
			// What is left is a clean-up that changes nothing outside
			// the Store: the decision taken next stores the verdict with
			// CleanedUp in one write, which wakes the Order once. Losing
			// the verdict before that write costs one more look.
			return reconcile.Defer(time.Time{})
		}
		return nil
	})
}

// authzPoll is the pause before the next look at the authorization: the
// CA's Retry-After for it if its latest answer had one, else as long as it
// has been since the accept (the looks double: 5 ms, 10 ms, 20 ms, …),
// within the first pause (PollInterval, or the one learned for the CA) and
// MaxPollInterval. No fixed quantum: a CA that validates in 3 ms is seen
// after 5, and once learned after less. Without AcceptedAt (a resumed
// accept found that the CA had one already, whose answer was lost) the
// time is counted from the presentation before it, else from the
// challenge's creation: from nothing, every look would be one first pause
// after the last, half a millisecond apart for as long as the CA takes.
func (r *Reconciler) authzPoll(o outcome) time.Duration {
	var since time.Duration
	st := &o.ch.Status
	for _, at := range []*time.Time{st.AcceptedAt, st.PresentedAt, o.ch.ObjectMeta.CreationTime} {
		if at != nil {
			since = o.now.Sub(*at)
			break
		}
	}
	return r.pollPolicy(o).PauseSince(since, Pace(r.opts.RetryAfter, o.ch.Spec.AuthorizationURL, 0))
}

// firstPoll is the pause between the accept's answer and the first look
// at the authorization: the CA's Retry-After on that answer (RFC 8555
// §8.2: it may say when to look), else on its latest answer for the
// authorization, else the first pause of the polling policy.
// hinted reports whether the CA set it (a Retry-After, which always wins).
func (r *Reconciler) firstPoll(o outcome) (pause time.Duration, hinted bool) {
	if d := Pace(r.opts.RetryAfter, o.ch.Spec.URL, 0); d > 0 {
		r.dropHint(o.ch.Spec.AuthorizationURL) // older than the accept's
		return d, true
	}
	if d := Pace(r.opts.RetryAfter, o.ch.Spec.AuthorizationURL, 0); d > 0 {
		return d, true
	}
	return r.authzPoll(o), false
}

// dropHint forgets the CA's Retry-After for url, if any.
func (r *Reconciler) dropHint(url string) {
	if r.opts.RetryAfter != nil {
		r.opts.RetryAfter(url)
	}
}

// pollPolicy is how often an accepted challenge's authorization is read.
func (r *Reconciler) pollPolicy(o outcome) acmeproto.Poll {
	return acmeproto.Poll{First: r.firstPause(o), Max: r.opts.MaxPollInterval}
}

// acmeFailure records what a failed ACME request means for the challenge:
// a rate limit, or a 5xx naming a Retry-After, postpones the next step to
// the CA's Retry-After, a refusal fails the challenge; anything else is
// returned to be retried with backoff.
func (r *Reconciler) acmeFailure(o outcome, op string, err error) error {
	p := acmeproto.Classify(err, o.now)
	switch p.Class {
	case acmeproto.RateLimited:
		d := p.RetryAfter
		if d <= 0 {
			d = r.opts.MaxPollInterval
		}
		o.notBefore(d)
		reason := fmt.Sprintf("rate limited by the CA, retrying at %s: %s", o.ch.Status.NotBefore.UTC().Format(time.RFC3339), p)
		o.ch.Status.Reason = reason
		o.event(meta.EventWarning, ReasonRateLimited, reason)
		return nil
	case acmeproto.AccountGone:
		if r.opts.AccountGone != nil {
			r.opts.AccountGone(o.ch.Spec.IssuerRef.Resolve(o.ch.ObjectMeta.Namespace))
		}
		o.ch.Status.Problem = &Problem{Type: p.Type, Detail: p.Detail}
		o.failed(StateErrored, op+": "+p.String())
		return nil
	case acmeproto.Terminal:
		o.ch.Status.Problem = &Problem{Type: p.Type, Detail: p.Detail}
		o.failed(StateErrored, op+": "+p.String())
		return nil
	case acmeproto.Transient:
		if p.RetryAfter > 0 {
			// A 5xx naming a Retry-After (the CA down for maintenance)
			// says when to ask again, as a 429's does: returned, the
			// error would be retried at the Manager's backoff, 200ms
			// first.
			o.notBefore(p.RetryAfter)
			o.ch.Status.Reason = fmt.Sprintf("%s: the CA asked to wait, retrying at %s: %s", op, o.ch.Status.NotBefore.UTC().Format(time.RFC3339), p)
			return nil
		}
	case acmeproto.BadNonce:
	}
	return fmt.Errorf("challenge: %s %s: %w", op, o.ch.ObjectMeta.Name, err)
}

// acme runs op, one exchange with the CA of the challenge's issuer. It is
// the only way this package talks to the CA; the account's slot for it was
// taken before the step's plan was executed (see Reconciler.execute).
func (r *Reconciler) acme(ctx context.Context, l loaded, op func(context.Context, *acme.Client) error) error {
	if l.issuer == nil {
		return l.issuerErr
	}
	cl, err := r.opts.Clients.Client(ctx, l.issuer)
	if err != nil {
		return fmt.Errorf("challenge: acme client: %w", err)
	}
	actx, cancel := context.WithTimeout(ctx, r.opts.AttemptTimeout)
	defer cancel()
	return op(actx, cl)
}

func (r *Reconciler) cleanUp(ctx context.Context, l loaded, o outcome) error {
	if l.solver == nil {
		err := fmt.Errorf("challenge: clean up %s: %w", o.ch.ObjectMeta.Name, l.SolverErr)
		meta.RecordEvent(r.deps.Events, o.ch, meta.EventWarning, ReasonCleanUpError, err.Error())
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, r.opts.CleanUpTimeout)
	defer cancel()
	if err := l.solver.CleanUp(cctx, o.ch.Info()); err != nil {
		err = fmt.Errorf("challenge: clean up %s: %w", o.ch.ObjectMeta.Name, err)
		meta.RecordEvent(r.deps.Events, o.ch, meta.EventWarning, ReasonCleanUpError, err.Error())
		return err
	}
	if r.opts.Fetches != nil {
		r.opts.Fetches.forget(o.ch.Spec.Token) // a look that never came, a verdict never read
	}
	st := &o.ch.Status
	st.CleanedUp, st.Presented, st.Processing, st.NotBefore = true, false, false, nil
	o.event(meta.EventNormal, ReasonCleanedUp, fmt.Sprintf("cleaned up %s challenge for %s", o.ch.Spec.Type, o.ch.Spec.DNSName))
	return nil
}

// talksToCA reports whether step s makes ACME requests, and so needs a
// slot of the account.
func (s step) talksToCA() bool {
	switch s {
	case stepAccept, stepCheckAccept, stepResumeAccept, stepAuthorization:
		return true
	case stepRecordName, stepPresent, stepSelfCheck, stepCleanUp:
	}
	return false
}

// slot takes one of the account's slots for an ACME request, when the
// Manager hands them out (none is needed when the issuer cannot be read:
// the step fails without a request).
func (r *Reconciler) slot(l loaded) (func(), time.Time, bool) {
	if r.opts.Accounts == nil || l.issuer == nil {
		return func() {}, time.Time{}, true
	}
	ref := meta.RefOf(l.Challenge)
	var wake func()
	if enqueue := r.opts.Enqueue; enqueue != nil {
		wake = func() { enqueue(ref) }
	}
	return r.opts.Accounts.Slot(l.issuer, ref.String(), wake)
}

// ownersStand asks whether the owner chain of ch stands in the Store as it
// is now (reconcile.Deps.Owners), for a step deciding by itself whether to
// ask the CA: nil when it does or nobody can tell, an error wrapping
// reconcile.ErrOwnerGone when it is broken.
func (r *Reconciler) ownersStand(ctx context.Context, ch *Challenge) error {
	if r.deps.Owners == nil {
		return nil
	}
	return r.deps.Owners(ctx, ch)
}
