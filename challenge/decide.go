package challenge

import (
	"fmt"
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/solver"
)

// snapshot is everything a decision about one Challenge reads: the object
// (whose status records the outcomes of earlier effects), what the loader
// found about its owner and solver, and Now.
type snapshot struct {
	Challenge *Challenge
	Now       time.Time
	// Abandon, if set, says why nobody needs the challenge any more (its
	// Order was deleted or failed).
	Abandon string
	// SolverErr is why the challenge's solver cannot be built; nil when it can.
	SolverErr error
	// NeedsRecordName: the solver names the DNS-01 record itself
	// (solver.RecordNamer) and the name is not recorded yet.
	NeedsRecordName bool
	// StoreServed: the solver's Present and CleanUp change nothing outside
	// the Store (solver.StoreServed), so they need no intent recorded
	// before them and no claim.
	StoreServed bool
}

// step names an effect of the challenge reconciler; it is the Effect's Name.
type step string

// The challenge reconciler's effects, in the order a challenge takes them.
const (
	stepRecordName    step = "record name"
	stepPresent       step = "present"
	stepSelfCheck     step = "self-check"
	stepCheckAccept   step = "self-check and accept" // the first local check, beside the accept's claim (checkaccept.go)
	stepAccept        step = "accept"
	stepResumeAccept  step = "resume accept" // read the authorization, accept only if still pending
	stepAuthorization step = "get authorization"
	stepCleanUp       step = "clean up"
)

// claim names of the steps the CA or a DNS provider sees. Present and
// CleanUp of a DNS-01 challenge use the record lock instead: it also keeps
// an apex and its wildcard, which share the TXT RRset, from interleaving.
func presentClaim(ch *Challenge, o Options) *reconcile.Claim {
	name := "challenge:" + challengeID(ch) + ":present"
	if ch.Spec.Type == solver.DNS01 {
		name = "dns01:" + ch.Info().RecordName()
	}
	return &reconcile.Claim{Name: name, TTL: o.LockTTL, Busy: o.LockRetry}
}

func acceptClaim(ch *Challenge, o Options) *reconcile.Claim {
	return &reconcile.Claim{Name: "challenge:" + challengeID(ch) + ":accept", TTL: acceptTTL(o), Busy: o.LockRetry}
}

// acceptTTL leaves room for reading the authorization and accepting, each
// bounded by AttemptTimeout, inside the 3/4 of the TTL an effect may use.
func acceptTTL(o Options) time.Duration { return 4 * o.AttemptTimeout }

// challengeID identifies a challenge across replicas: its UID, or its
// namespace and name if the Store gave it none.
func challengeID(ch *Challenge) string {
	if ch.ObjectMeta.UID != "" {
		return ch.ObjectMeta.UID
	}
	return ch.ObjectMeta.Namespace + "/" + ch.ObjectMeta.Name
}

func effect(s step, c *reconcile.Claim) *reconcile.Effect {
	return &reconcile.Effect{Name: string(s), Claim: c, ForOwners: s.forOwners(), WritesFirst: s == stepCheckAccept}
}

// forOwners reports whether step s asks the CA to validate, which it does
// for the Certificate up the chain: not taken for one already deleted
// (reconcile.Effect.ForOwners). A failed validation counts toward the CA's
// limits; cleaning up must happen whoever is gone. A resumed accept first
// reads whether an earlier one reached the CA, whoever is gone, and checks
// the owners itself before accepting again (accept).
func (s step) forOwners() bool {
	switch s {
	case stepAccept, stepCheckAccept:
		return true
	case stepRecordName, stepPresent, stepSelfCheck, stepResumeAccept, stepAuthorization, stepCleanUp:
	}
	return false
}

// decide is the challenge's state machine: present → self-check → accept →
// wait for the authorization → clean up. It is pure: the returned plan's
// effect names its step and claim, and the reconciler binds the step to the
// I/O that performs it.
func decide(s snapshot, o Options) reconcile.Plan {
	c := *s.Challenge
	ch := &c
	st := &ch.Status
	now := s.Now
	p := reconcile.Plan{Object: ch}

	if st.State.IsFinal() {
		return cleanUp(p, o, s.StoreServed)
	}
	if created := ch.ObjectMeta.CreationTime; created != nil && !now.Before(created.Add(o.Timeout)) {
		reason := fmt.Sprintf("challenge not finished within %v", o.Timeout)
		if st.Reason != "" {
			reason += ": " + st.Reason
		}
		return fail(p, o, StateErrored, reason, s.StoreServed)
	}
	if nb := st.NotBefore; nb != nil && now.Before(*nb) {
		return reconcile.Wait(ch, *nb)
	}
	if st.Accepted {
		// The CA's verdict is on its way and explains more than anything
		// else could, so an accepted challenge waits for it.
		p.Effect = effect(stepAuthorization, nil)
		return p
	}
	if st.Accepting {
		// A POST may have reached the CA (a crash, another replica, a dead
		// claim owner): read the authorization before accepting again.
		p.Effect = effect(stepResumeAccept, acceptClaim(ch, o))
		return p
	}
	if s.Abandon != "" {
		return fail(p, o, StateErrored, "abandoned: "+s.Abandon, s.StoreServed)
	}
	if !st.Presented {
		return present(s, p, o)
	}
	if st.SelfCheckPassed {
		st.Accepting = true
		p.Write = true
		p.Effect = effect(stepAccept, acceptClaim(ch, o))
		return p
	}
	if st.SelfCheckFailures > 0 && st.PresentedAt != nil && !now.Before(st.PresentedAt.Add(o.SelfCheckTimeout)) {
		return fail(p, o, StateErrored, fmt.Sprintf("%s (gave up after %v)", st.Reason, o.SelfCheckTimeout), s.StoreServed)
	}
	if st.SelfCheckFailures == 0 && ch.Spec.Type != solver.DNS01 {
		// The first check of an answer this process serves passes as a
		// rule: it runs beside the accept's claim and owner check, and
		// the intent is stored once it passed (checkThenAccept). A check
		// that failed is repeated on its own, taking no claim.
		p.Effect = effect(stepCheckAccept, acceptClaim(ch, o))
		return p
	}
	p.Effect = effect(stepSelfCheck, nil)
	return p
}

// present decides the steps before Presented: give up after too many
// failed attempts, count a solver that cannot be built as one, record the
// DNS-01 record name, then record the intent and present under the claim.
func present(s snapshot, p reconcile.Plan, o Options) reconcile.Plan {
	ch := p.Object.(*Challenge)
	st := &ch.Status
	if st.PresentFailures >= o.PresentAttempts {
		return fail(p, o, StateErrored, fmt.Sprintf("gave up after %d failed attempts to present: %s", st.PresentFailures, st.Reason), s.StoreServed)
	}
	if s.SolverErr != nil {
		reason := "present: " + s.SolverErr.Error()
		recordPresentFailure(st, o, s.Now, reason)
		p.Write = true
		p.Eventf(meta.EventWarning, ReasonPresentError, reason)
		if st.NotBefore == nil {
			return fail(p, o, StateErrored, fmt.Sprintf("gave up after %d failed attempts to present: %s", st.PresentFailures, reason), s.StoreServed)
		}
		p.Next = *st.NotBefore
		return p
	}
	if s.NeedsRecordName && !st.Processing {
		// Recorded before the intent, so every later step (claim, Present,
		// check, CleanUp) uses this name even after a CNAME change.
		p.Effect = effect(stepRecordName, nil)
		return p
	}
	if s.StoreServed {
		// Nothing outside the Store to undo after a crash, nor to keep
		// replicas from doing twice: Processing is stored with the
		// outcome, in the one write that records Presented.
		p.Effect = effect(stepPresent, nil)
		return p
	}
	if !st.Processing {
		st.Processing = true
		if st.State == StateUnknown {
			st.State = StatePending
		}
		p.Write = true
	}
	p.Effect = effect(stepPresent, presentClaim(ch, o))
	return p
}

// recordPresentFailure counts a failed Present attempt and, unless it was
// the last one allowed, schedules the next after an interval that doubles
// with each failure.
func recordPresentFailure(st *Status, o Options, now time.Time, reason string) {
	st.PresentFailures++
	st.Reason = reason
	st.NotBefore = nil
	if st.PresentFailures < o.PresentAttempts {
		next := now.Add(o.PresentRetryInterval << min(st.PresentFailures-1, 16))
		st.NotBefore = &next
	}
}

// fail makes the challenge final with state and reason, then cleans up
// (served: the solver is StoreServed).
func fail(p reconcile.Plan, o Options, state State, reason string, served bool) reconcile.Plan {
	ch := p.Object.(*Challenge)
	ch.Status.State = state
	ch.Status.Reason = reason
	ch.Status.NotBefore = nil
	p.Write = true
	p.Eventf(meta.EventWarning, ReasonFailed, reason)
	p.Next = time.Time{}
	return cleanUp(p, o, served)
}

// cleanUp decides the last step of a final challenge: remove what was
// presented, once; a challenge whose solver was never called owes nothing.
// A StoreServed solver's CleanUp (served) takes no claim.
func cleanUp(p reconcile.Plan, o Options, served bool) reconcile.Plan {
	ch := p.Object.(*Challenge)
	st := &ch.Status
	switch {
	case st.CleanedUp:
	case (st.Processing || st.Presented) && served:
		p.Effect = effect(stepCleanUp, nil)
	case st.Processing || st.Presented:
		p.Effect = effect(stepCleanUp, presentClaim(ch, o))
	default:
		st.CleanedUp = true
		st.NotBefore = nil
		p.Write = true
	}
	return p
}
