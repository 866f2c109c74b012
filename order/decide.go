package order

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
)

// step is the ACME call a decision asks for; the reconciler turns it into
// the plan's Effect, which records the call's outcome in the Order.
type step int

const (
	stepNone step = iota
	// stepNewOrder POSTs newOrder and records the order's URL, finalize URL
	// and authorization URLs as soon as the CA answers. Claimed per Order
	// UID, so replicas open one order; reading the authorizations is the
	// next step.
	stepNewOrder
	// stepAuthorizations reads the authorizations not recorded yet.
	stepAuthorizations
	// stepGetOrder reads the ACME order (a poll) and, once it is valid,
	// downloads the chain. Claimed like finalize while a finalize is on
	// record or the CA said processing, so it never runs beside one; past
	// the order's Timeout it decides the timeout on the CA's answer.
	stepGetOrder
	// stepFinalize POSTs finalize with the CSR, waits briefly for the
	// certificate and downloads it. Claimed per Order UID.
	stepFinalize
)

func (s step) String() string {
	switch s {
	case stepNone:
		return "none"
	case stepNewOrder:
		return opNewOrder
	case stepAuthorizations:
		return opGetAuthorization
	case stepGetOrder:
		return opGetOrder
	case stepFinalize:
		return opFinalize
	}
	return fmt.Sprintf("step(%d)", int(s))
}

// The ACME calls, as reasons and problems name them.
const (
	opNewOrder         = "new order"
	opGetAuthorization = "get authorization"
	opGetOrder         = "get order"
	opFinalize         = "finalize"
	opDownload         = "download certificate"
	// opValidate is the CA's validation of a challenge, as a failed
	// challenge's problem is recorded on its order.
	opValidate = "validate"
)

// snapshot is everything a decision about one Order reads.
type snapshot struct {
	Order Order
	// Issuer names the Order's issuer; ACME is its ACME config, nil when
	// it is not an ACME issuer.
	Issuer meta.Ref
	ACME   *issuer.ACMEIssuer
	// Thumbprint is the JWK thumbprint of the account key, for the key
	// authorizations of new Challenges.
	Thumbprint string
	// Challenges are the Order's Challenges (read while it is pending or
	// valid).
	Challenges []*challenge.Challenge
	// Listed is set when Challenges were listed for this snapshot (or
	// carried over from one that listed them, stillSettled).
	Listed bool
	Now    time.Time
	// AccountHold is until when the CA asked the issuer's account to wait;
	// zero when it did not (or nobody tracks it).
	AccountHold time.Time
}

// policy holds the durations decisions use.
type policy struct {
	timeout        time.Duration // Options.Timeout
	issuingTimeout time.Duration // Options.IssuingTimeout
	pendingPoll    time.Duration // Options.PendingPollInterval
	noSolverRetry  time.Duration // Options.NoSolverRetry
	csrs           *pki.CSRMemo  // Options.CSRs
}

// decision is a plan plus the ACME call its effect is to make.
type decision struct {
	plan reconcile.Plan
	step step
}

// decide is the order's state machine: from the snapshot alone it decides
// what to write, which Challenges to create or delete and which single ACME
// call to make next. It never touches the Store, the network or the clock.
// An unfinished order is looked at again by its deadline at the latest.
func (p policy) decide(s snapshot) decision {
	d := p.step(s)
	o := d.plan.Object.(*Order)
	dl, ok := p.deadline(o)
	if !ok {
		dl, ok = p.issuingCap(o)
	}
	if ok && !d.plan.Next.IsZero() && d.plan.Next.After(dl) && !o.Status.State.IsFinal() {
		d.plan.Next = dl
	}
	return d
}

// issuingCap is when o, which may have been finalized, fails whatever the
// CA says (Options.IssuingTimeout), and false for an order that may not
// have been (deadline) or when nothing caps it. A wait that reaches past
// it (the CA's Retry-After for a processing order, or a backoff) is
// honoured by failing at the cap without asking: the cap holds, and the
// CA is not asked before its time.
func (p policy) issuingCap(o *Order) (time.Time, bool) {
	c := o.ObjectMeta.CreationTime
	if c == nil || p.issuingTimeout <= 0 || !(o.Status.Finalizing || o.Status.State == StateProcessing) {
		return time.Time{}, false
	}
	return c.Add(p.issuingTimeout), true
}

// deadline is when o fails for taking too long without asking the CA, and
// false when it never does so: once a finalize may have reached the CA (it
// is on record, or the CA said processing) the CA may still issue, and
// failing then would let a retry issue a second certificate for the same
// names. Such an order is read under the finalize claim instead, and
// getOrder decides the timeout on the CA's answer (Options.Timeout), up
// to its hard cap (issuingCap).
func (p policy) deadline(o *Order) (time.Time, bool) {
	c := o.ObjectMeta.CreationTime
	if c == nil || p.timeout <= 0 || o.Status.Finalizing || o.Status.State == StateProcessing {
		return time.Time{}, false
	}
	return c.Add(p.timeout), true
}

// timeoutReason explains an order that did not become valid within limit.
func timeoutReason(limit time.Duration, st *Status) string {
	last := st.State
	if last == StateUnknown {
		last = StatePending
	}
	reason := fmt.Sprintf("order not valid within %v (last state %q)", limit, last)
	if st.Reason != "" {
		reason += ": " + st.Reason
	}
	return reason
}

func (p policy) step(s snapshot) decision {
	o := s.Order // the plan's object; pointers in it are replaced, never written through
	st := &o.Status
	switch st.State {
	case StateValid:
		return decision{plan: cleanup(&o, s.Challenges)}
	case StateInvalid, StateExpired, StateErrored:
		return decision{plan: reconcile.Wait(&o, time.Time{})}
	case StateUnknown, StatePending, StateReady, StateProcessing:
	}
	if dl, ok := p.deadline(&o); ok && !s.Now.Before(dl) {
		return fail(&o, s.Now, StateErrored, ReasonTimeout, timeoutReason(p.timeout, st))
	}
	if s.ACME == nil {
		return fail(&o, s.Now, StateErrored, ReasonFailed, fmt.Sprintf("issuer %s is not an ACME issuer", s.Issuer))
	}
	if nb := st.NotBefore; nb != nil && s.Now.Before(*nb) {
		if dl, ok := p.issuingCap(&o); ok && !s.Now.Before(dl) {
			reason := fmt.Sprintf("%s; the next request to the CA was not due before %s", timeoutReason(p.issuingTimeout, st), nb.UTC().Format(time.RFC3339))
			o.Status.Finalizing = false
			return fail(&o, s.Now, StateErrored, ReasonTimeout, reason)
		}
		return decision{plan: reconcile.Wait(&o, *nb)}
	}
	if st.URL == "" {
		// The CSR's signature was checked when its request was approved
		// (and the CA checks it at finalize): only its names matter here.
		csr, err := p.csrs.Parse(o.Spec.Request)
		if err == nil {
			_, err = acmeproto.Identifiers(csr)
		}
		if err != nil {
			return fail(&o, s.Now, StateErrored, ReasonFailed, opNewOrder+": "+err.Error())
		}
		if s.Now.Before(s.AccountHold) {
			return heldBack(&o, s.AccountHold)
		}
		return decision{plan: reconcile.Plan{Object: &o}, step: stepNewOrder}
	}
	for _, az := range st.Authorizations {
		if az.InitialState == StateUnknown {
			return decision{plan: reconcile.Plan{Object: &o}, step: stepAuthorizations}
		}
	}
	if st.Finalizing {
		// A finalize is on record: its outcome is read, never repeated blindly.
		return decision{plan: reconcile.Plan{Object: &o}, step: stepGetOrder}
	}
	switch st.State {
	case StateReady:
		// The intent is stored before the POST.
		st.Finalizing = true
		return decision{plan: reconcile.Plan{Object: &o, Write: true}, step: stepFinalize}
	case StateProcessing:
		return decision{plan: reconcile.Plan{Object: &o}, step: stepGetOrder}
	case StateUnknown, StatePending:
	case StateValid, StateInvalid, StateExpired, StateErrored:
	}
	return p.authorize(&o, s)
}

// authorize creates one Challenge per pending authorization, fails the
// order when one of them failed, and asks the CA about the order once all
// are valid.
func (p policy) authorize(o *Order, s snapshot) decision {
	st := &o.Status
	byAuthz := make(map[string]*challenge.Challenge, len(s.Challenges))
	for _, ch := range s.Challenges {
		byAuthz[ch.Spec.AuthorizationURL] = ch
	}
	var create []meta.Object
	var noSolver, failed []string
	var problem *Problem
	failState := StateErrored
	pending := 0
	for _, az := range st.Authorizations {
		if az.InitialState != StatePending {
			continue
		}
		if ch, ok := byAuthz[az.URL]; ok {
			switch {
			case ch.Status.State == challenge.StateValid:
			case ch.Status.State.IsFinal():
				if ch.Status.State == challenge.StateInvalid {
					failState = StateInvalid
				}
				failed = append(failed, fmt.Sprintf("%s challenge for %q: %s", ch.Spec.Type, displayName(az), ch.Status.Reason))
				if pr := ch.Status.Problem; pr != nil && problem == nil {
					// Kept as data: whether another CA may issue
					// (caa, rejectedIdentifier) is read from the type.
					problem = &Problem{Op: opValidate, Type: pr.Type, Detail: pr.Detail, Attempts: 1, Refused: true}
				}
			default:
				pending++
			}
			continue
		}
		ch, ok := newChallenge(o, az, s.ACME.Solvers, s.Thumbprint)
		if !ok {
			noSolver = append(noSolver, noSolverReason(az))
			continue
		}
		create = append(create, ch)
		pending++
	}
	if len(failed) > 0 {
		d := fail(o, s.Now, failState, ReasonFailed, strings.Join(failed, "; "))
		if problem != nil {
			o.Status.Problem = problem
		}
		return d
	}
	plan := reconcile.Plan{Object: o, Create: create}
	reason := ""
	switch {
	case len(noSolver) > 0:
		reason = strings.Join(noSolver, "; ")
		if st.Reason != reason {
			plan.Eventf(meta.EventWarning, ReasonSolver, reason)
		}
		plan.Next = s.Now.Add(p.noSolverRetry)
	case pending > 0:
		reason = waitingForChallenges(pending)
		// The Manager looks again whenever a Challenge changes; this is
		// only a fallback.
		plan.Next = s.Now.Add(p.pendingPoll)
	case notReady(st.Problem):
		// The CA refused a finalize as not ready: ask it about the order
		// until it says ready.
		return decision{plan: plan, step: stepGetOrder}
	default:
		// Every authorization is valid, so the order is ready (RFC 8555
		// §7.1.6): finalize without asking. The intent is stored before
		// the POST.
		st.Finalizing, st.Reason = true, ""
		plan.Write = true
		return decision{plan: plan, step: stepFinalize}
	}
	if st.State != StatePending || st.Reason != reason {
		st.State, st.Reason = StatePending, reason
		plan.Write = true
	}
	return decision{plan: plan}
}

// cleanup deletes the Challenges of a valid order whose solvers cleaned up;
// the others wake the order (their owner) when they change. Valid is
// final, so the deletions (each of the version read) stand whatever was
// written to the Order since (reconcile.Plan.Final).
func cleanup(o *Order, chs []*challenge.Challenge) reconcile.Plan {
	plan := reconcile.Plan{Object: o, Final: true}
	for _, ch := range chs {
		if challenge.SafeToDelete(ch) {
			plan.Delete = append(plan.Delete, reconcile.Deletion{Ref: meta.RefOf(ch), ResourceVersion: ch.ObjectMeta.ResourceVersion})
		}
	}
	return plan
}

// fail makes the order final with state and reason.
func fail(o *Order, now time.Time, state State, ev meta.Reason, reason string) decision {
	markFailed(o, now, state, reason)
	plan := reconcile.Plan{Object: o, Write: true}
	plan.Eventf(meta.EventWarning, ev, reason)
	return decision{plan: plan}
}

func markFailed(o *Order, now time.Time, state State, reason string) {
	o.Status.State = state
	o.Status.Reason = reason
	o.Status.FailureTime = &now
	o.Status.NotBefore = nil
}

// heldBack keeps an order that is not opened yet from asking a CA that
// rate limits its account until the CA's time, and records why as the
// problem of its newOrder (recorded once: the status write wakes the order
// and its request).
func heldBack(o *Order, until time.Time) decision {
	st := &o.Status
	plan := reconcile.Wait(o, until)
	if st.Problem != nil && st.Problem.Op == opNewOrder && st.Problem.Type == acmeproto.ProblemRateLimited &&
		st.NotBefore != nil && st.NotBefore.Equal(until) {
		return decision{plan: plan}
	}
	when := until.UTC().Format(time.RFC3339)
	// Attempts stays 0: no call was made, so none failed.
	st.Problem = &Problem{Op: opNewOrder, Type: acmeproto.ProblemRateLimited, HTTPStatus: http.StatusTooManyRequests,
		Detail: "not sent: the CA asked this account to wait until " + when}
	st.NotBefore = &until
	st.Reason = fmt.Sprintf("%s: rate limited by the CA, retrying at %s: %s", opNewOrder, when, problemText(st.Problem))
	plan.Write = true
	plan.Eventf(meta.EventWarning, ReasonRetry, st.Reason)
	return decision{plan: plan}
}

// notReady reports whether p records a finalize the CA refused because
// the order was not ready yet.
func notReady(p *Problem) bool {
	return p != nil && p.Op == opFinalize && p.Type == acmeproto.ProblemOrderNotReady
}

// growing is first·2^(n−1), at most limit: the backoff after failed calls.
func growing(n int, first, limit time.Duration) time.Duration {
	d := first
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}
