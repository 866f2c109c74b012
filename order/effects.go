package order

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/acmepost"
	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
)

// visit carries what one effect needs and what it reports: the events of
// its outcome, recorded once the outcome is stored.
type visit struct {
	cl        *acme.Client
	o         *Order
	issuer    meta.Ref
	profile   string // the issuer's ACME profile
	preferred string // the issuer's preferredChain
	ran       bool
	events    []reconcile.Event
}

func (v *visit) event(typ meta.EventType, reason meta.Reason, msg string) {
	v.events = append(v.events, reconcile.Event{Type: typ, Reason: reason, Message: msg})
}

// effect turns a decided step into the Effect that makes the call and
// records its outcome in v.o. Do reports an error — nothing to record —
// only when the CA call itself did not complete (the reconcile is stopping,
// or the claim's time ran out before the answer came); an answer that came
// is recorded even if the context ended right after it.
func (r *Reconciler) effect(s step, v *visit) *reconcile.Effect {
	e := &reconcile.Effect{Name: s.String()}
	var do func(ctx context.Context) error
	switch s {
	case stepNewOrder:
		e.Claim = r.claim("acme-new-order:", v.o, r.opts.RequestTimeout)
		e.ForOwners = true // an order opened for a deleted Certificate leaves pending authorizations
		do = func(ctx context.Context) error { return r.newOrder(ctx, v) }
	case stepAuthorizations:
		do = func(ctx context.Context) error { return r.readAuthorizations(ctx, v) }
	case stepGetOrder:
		if st := v.o.Status; st.Finalizing || st.State == StateProcessing {
			// A finalize may be in flight: never beside one, and never
			// failed by a timeout while another replica holds it.
			e.Claim = r.claim("acme-finalize:", v.o, r.getOrderWork())
		}
		do = func(ctx context.Context) error { return r.getOrder(ctx, v) }
	case stepFinalize:
		e.Claim = r.claim("acme-finalize:", v.o, r.finalizeWork())
		e.ForOwners = true // a certificate issued for nobody still counts against the domain
		do = func(ctx context.Context) error { return r.finalize(ctx, v) }
	case stepNone:
		return nil
	}
	e.Do = func(ctx context.Context) error {
		v.ran = true
		return do(ctx)
	}
	return e
}

// getOrderWork bounds the calls of a look at the order under the finalize
// claim: read the order, download the chain, choose among its alternates
// (or explain an invalid order) — each up to RequestTimeout.
func (r *Reconciler) getOrderWork() time.Duration { return 3 * r.opts.RequestTimeout }

// finalizeWork bounds the calls of a finalize: the POST and the wait for
// the chain (FinalizeTimeout), then choosing among its alternates.
func (r *Reconciler) finalizeWork() time.Duration {
	return r.opts.FinalizeTimeout + r.opts.RequestTimeout
}

// claim is the Store lease serialising one kind of step of o across
// replicas, named from its UID. Its TTL is LockTTL, raised to what the
// calls it guards may take (work), so a slow CA cannot make every holder
// lose its outcome and the next one start over.
func (r *Reconciler) claim(prefix string, o *Order, work time.Duration) *reconcile.Claim {
	id := o.ObjectMeta.UID
	if id == "" {
		id = o.ObjectMeta.Namespace + "/" + o.ObjectMeta.Name
	}
	ttl := max(r.opts.LockTTL, reconcile.ClaimTTL(work))
	return &reconcile.Claim{Name: prefix + id, TTL: ttl, Busy: r.opts.LockRetry}
}

// interrupted reports whether a call that failed with err did not complete
// because ctx (the effect's) ended: no answer to record.
func interrupted(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() != nil
}

// newOrder opens the ACME order and records its URL, finalize URL and
// authorization URLs as soon as the CA answers: that answer is the outcome
// of the claimed step. Reading the authorizations is the next step.
func (r *Reconciler) newOrder(ctx context.Context, v *visit) error {
	o := v.o
	// Its signature was checked when its request was approved.
	csr, err := r.opts.CSRs.Parse(o.Spec.Request)
	if err != nil {
		r.finalFail(v, StateErrored, opNewOrder+": "+err.Error())
		return nil
	}
	ids, err := acmeproto.Identifiers(csr)
	if err != nil {
		r.finalFail(v, StateErrored, opNewOrder+": "+err.Error())
		return nil
	}
	profile := o.Spec.Profile
	if profile == "" {
		profile = v.profile
	}
	actx, cancel := context.WithTimeout(ctx, r.opts.RequestTimeout)
	defer cancel()
	actx = acmeproto.WithAction(actx, acmeproto.ActionAuthorizeOrder)
	opts := acmepost.OrderOptions{Profile: profile, Replaces: o.Spec.Replaces}
	ao, err := r.post.NewOrder(actx, v.cl, ids, opts)
	if err != nil && opts.Replaces != "" && replacesRefused(err) {
		// The CA will not link this order to the old certificate (already
		// replaced, another account's, unknown): renew without the link
		// rather than not at all, as cert-manager does.
		v.event(meta.EventNormal, ReasonCreated, "the CA refused replaces "+opts.Replaces+"; ordering without it: "+err.Error())
		opts.Replaces = ""
		ao, err = r.post.NewOrder(actx, v.cl, ids, opts)
	}
	if interrupted(ctx, err) {
		return ctx.Err()
	}
	if errors.Is(err, acmeproto.ErrUnknownProfile) {
		r.finalFail(v, StateErrored, opNewOrder+": "+err.Error())
		return nil
	}
	if err != nil {
		r.failed(v, opNewOrder, acmeproto.ExplainIPRejection(err, ids, profile))
		return nil
	}
	if ao.URI == "" {
		r.failed(v, opNewOrder, errors.New("the CA sent no order URL"))
		return nil
	}
	st := &o.Status
	st.URL, st.FinalizeURL = ao.URI, ao.FinalizeURL
	st.State = stateFor(acmeproto.Status(ao.Status))
	st.Reason, st.Problem, st.NotBefore, st.Polls = "", nil, nil, 0
	st.Authorizations = make([]Authorization, len(ao.AuthzURLs))
	for i, u := range ao.AuthzURLs {
		st.Authorizations[i] = Authorization{URL: u}
	}
	v.event(meta.EventNormal, ReasonCreated, "created ACME order "+ao.URI)
	return nil
}

// replacesRefused reports whether a newOrder failed because of its
// replaces field: RFC 9773 §5's alreadyReplaced, or a refusal Pebble and
// CAs send for a certificate of another account or one they do not know.
func replacesRefused(err error) bool {
	var ae *acme.Error
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ProblemType {
	case acmeproto.ProblemAlreadyReplaced, acmeproto.ProblemUnauthorized, acmeproto.ProblemMalformed:
		return true
	}
	return ae.StatusCode == http.StatusNotFound
}

// readAuthorizations reads every authorization not recorded yet. What was
// read is kept when a later one fails or is interrupted.
func (r *Reconciler) readAuthorizations(ctx context.Context, v *visit) error {
	st := &v.o.Status
	azs := append([]Authorization(nil), st.Authorizations...)
	defer func() { st.Authorizations = azs }()
	read := 0
	for i, az := range azs {
		if az.InitialState != StateUnknown {
			continue
		}
		actx, cancel := context.WithTimeout(ctx, r.opts.RequestTimeout)
		a, err := v.cl.GetAuthorization(acmeproto.WithAction(actx, acmeproto.ActionGetAuthorization), az.URL)
		cancel()
		if interrupted(ctx, err) {
			if read == 0 {
				return ctx.Err()
			}
			return nil // the rest are read next
		}
		if err != nil {
			r.failed(v, opGetAuthorization, err)
			return nil
		}
		az = Authorization{URL: az.URL, Identifier: a.Identifier.Value, Wildcard: a.Wildcard,
			InitialState: stateFor(acmeproto.Status(a.Status))}
		for _, c := range a.Challenges {
			az.Challenges = append(az.Challenges, ACMEChallenge{URL: c.URI, Token: c.Token, Type: c.Type})
		}
		azs[i] = az
		read++
	}
	if st.State == StateUnknown {
		st.State = StatePending
	}
	succeeded(v.o)
	// Not written on its own: the decision taken next in the same visit
	// (the Challenges to create, or the finalize intent) stores it in its
	// own write (Reconcile); a crash before that write costs reading the
	// authorizations again, which changes nothing at the CA.
	return reconcile.Defer(time.Time{})
}

// getOrder reads the ACME order and moves on with what the CA says.
func (r *Reconciler) getOrder(ctx context.Context, v *visit) error {
	st := &v.o.Status
	actx, cancel := context.WithTimeout(ctx, r.opts.RequestTimeout)
	ao, err := v.cl.GetOrder(acmeproto.WithAction(actx, acmeproto.ActionGetOrder), st.URL)
	cancel()
	if interrupted(ctx, err) {
		return ctx.Err()
	}
	if err != nil {
		if r.past(v.o, r.opts.IssuingTimeout) {
			r.timedOut(v, timeoutReason(r.opts.IssuingTimeout, st)+"; "+opGetOrder+": "+err.Error())
			return nil
		}
		r.failed(v, opGetOrder, err)
		return nil
	}
	resumed := st.Finalizing
	if err := r.apply(ctx, v, ao, r.retryAfter(st.URL)); err != nil {
		return err
	}
	if resumed && r.finalizeAgainNow(ctx, v) {
		return r.finalize(ctx, v)
	}
	return nil
}

// apply moves on with the ACME order as the CA showed it (retryAfter is
// the wait it asked for, 0 if none). Past the order's Timeout it is also
// where the timeout is decided for an order that may have been finalized:
// the order fails when the CA says no certificate is coming from it
// (pending, or ready with no finalize taken), and while the CA is still
// issuing only at IssuingTimeout.
func (r *Reconciler) apply(ctx context.Context, v *visit, ao *acme.Order, retryAfter time.Duration) error {
	st := &v.o.Status
	if st.FinalizeURL == "" {
		st.FinalizeURL = ao.FinalizeURL
	}
	switch got := stateFor(acmeproto.Status(ao.Status)); got {
	case StatePending, StateProcessing:
		st.State = got
		if (got == StatePending && r.past(v.o, r.opts.Timeout)) || r.past(v.o, r.opts.IssuingTimeout) {
			limit := r.opts.Timeout
			if got == StateProcessing {
				limit = r.opts.IssuingTimeout
			}
			r.timedOut(v, timeoutReason(limit, st))
			return nil
		}
		st.Polls++
		at := r.deps.Clock.Now().Add(r.poll(v, got).Pause(st.Polls, retryAfter))
		if !notReady(st.Problem) {
			// A finalize refused as not ready stays on record until the
			// CA says the order is ready.
			st.Problem = nil
		}
		st.NotBefore = &at
	case StateReady:
		pr := st.Problem
		if st.Finalizing && pr != nil && pr.Op == opFinalize && pr.Refused {
			// The order is still ready, so the refused finalize was not an
			// earlier one's echo: the CA refuses this CSR.
			r.finalFail(v, StateErrored, opFinalize+": "+problemText(pr))
			return nil
		}
		if r.past(v.o, r.opts.Timeout) {
			// No finalize took (the claim keeps any other away): no
			// certificate can come from this order.
			st.State = StateReady
			r.timedOut(v, timeoutReason(r.opts.Timeout, st))
			return nil
		}
		// A finalize on record left the order ready: it did not take. A
		// failed finalize stays on record, so its backoff keeps growing
		// (and one refused as not ready waits it out: the CA contradicts
		// itself).
		st.State, st.Finalizing, st.Polls = StateReady, false, 0
		if !notReady(pr) {
			st.NotBefore = nil
		}
		if pr == nil || pr.Op != opFinalize {
			st.Reason, st.Problem = "", nil
		}
	case StateValid:
		// Issued: downloaded however long it takes, never failed by a
		// timeout (that would issue a second certificate).
		return r.download(ctx, v, ao.CertURL)
	case StateInvalid:
		r.finalFail(v, StateInvalid, r.invalidReason(ctx, v, ao))
	case StateExpired:
		r.finalFail(v, StateExpired, fmt.Sprintf("ACME order %s is %s", st.URL, ao.Status))
	default:
		r.finalFail(v, StateErrored, fmt.Sprintf("ACME order %s has unknown status %q", st.URL, ao.Status))
	}
	return nil
}

// past reports whether o was created at least limit ago.
func (r *Reconciler) past(o *Order, limit time.Duration) bool {
	c := o.ObjectMeta.CreationTime
	return c != nil && limit > 0 && !r.deps.Clock.Now().Before(c.Add(limit))
}

// poll is the polling policy of ACME orders in state: for one the CA is
// issuing, from the first pause learned for the CA (unless PollInterval
// fixes it); for one computing its readiness, from PollInterval.
func (r *Reconciler) poll(v *visit, state State) acmeproto.Poll {
	first := r.opts.PollInterval
	if state == StateProcessing {
		if fp := r.learned(v); fp != nil {
			// Within MaxPollInterval: a First above Max raises Max.
			first = min(fp.Pause(), r.opts.MaxPollInterval)
		}
	}
	return acmeproto.Poll{First: first, Max: r.opts.MaxPollInterval}
}

// orderKind is the kind of resource of the orders' learned pause in
// Options.FirstPolls (the challenge reconciler's are challenge types).
const orderKind = "order"

// learned returns the learned pause of the order's CA, or nil when
// Options.PollInterval fixes it.
func (r *Reconciler) learned(v *visit) *acmeproto.FirstPoll {
	if r.opts.FirstPolls == nil || v.cl == nil {
		return nil
	}
	return r.opts.FirstPolls.For(v.cl.DirectoryURL, orderKind)
}

// retryAfter returns, once, the Retry-After of the CA's latest answer for
// url, or 0.
func (r *Reconciler) retryAfter(url string) time.Duration {
	return challenge.Pace(r.opts.RetryAfter, url, 0)
}

// succeeded forgets what failed calls recorded.
func succeeded(o *Order) {
	o.Status.Problem = nil
	o.Status.NotBefore = nil
}

// finalFail makes the order final with state and reason.
func (r *Reconciler) finalFail(v *visit, state State, reason string) {
	markFailed(v.o, r.deps.Clock.Now(), state, reason)
	v.o.Status.Finalizing = false
	v.event(meta.EventWarning, ReasonFailed, reason)
}

// timedOut fails the order for taking too long, on the CA's answer.
func (r *Reconciler) timedOut(v *visit, reason string) {
	markFailed(v.o, r.deps.Clock.Now(), StateErrored, reason)
	v.o.Status.Finalizing = false
	v.event(meta.EventWarning, ReasonTimeout, reason)
}

// failed records a failed call: the CA's problem, in the status reason and
// an event, and when to try again — the CA's Retry-After, or a backoff
// growing with consecutive failures. A call the CA refused for good fails
// the order, except finalize: its refusal may answer an earlier finalize
// that went through, so the order is read first.
func (r *Reconciler) failed(v *visit, op string, err error) {
	now := r.deps.Clock.Now()
	pr := acmeproto.Classify(err, now)
	st := &v.o.Status
	attempts := 1
	if st.Problem != nil && st.Problem.Op == op {
		attempts = st.Problem.Attempts + 1
	}
	// orderNotReady refuses a finalize only for now (see finalize).
	rec := &Problem{Op: op, Type: pr.Type, Detail: pr.Detail, HTTPStatus: pr.HTTPStatus, Attempts: attempts,
		Refused: pr.Class == acmeproto.Terminal && pr.Type != acmeproto.ProblemOrderNotReady}
	if pr.Class == acmeproto.AccountGone && r.opts.AccountGone != nil {
		// The CA forgot the account (a reset test CA, a deactivation): the
		// issuer registers again, then this order is retried.
		r.opts.AccountGone(v.issuer)
	}
	if rec.Refused && op != opFinalize {
		r.finalFail(v, StateErrored, op+": "+problemText(rec))
		st.Problem = rec
		return
	}
	wait := growing(attempts, r.opts.ErrorBackoff, r.opts.MaxErrorBackoff)
	if rec.Refused {
		wait = 0
	}
	switch pr.Class {
	case acmeproto.RateLimited:
		if pr.RetryAfter > 0 {
			wait = pr.RetryAfter
		}
	case acmeproto.Transient, acmeproto.BadNonce, acmeproto.AccountGone, acmeproto.Terminal:
		wait = max(wait, pr.RetryAfter)
	}
	at := now.Add(wait)
	st.Problem, st.NotBefore = rec, &at
	when := at.UTC().Format(time.RFC3339)
	if pr.Class == acmeproto.RateLimited {
		st.Reason = fmt.Sprintf("%s: rate limited by the CA, retrying at %s: %s", op, when, problemText(rec))
		v.event(meta.EventWarning, ReasonRetry, st.Reason)
		return
	}
	st.Reason = fmt.Sprintf("%s: %s (attempt %d; retrying at %s)", op, problemText(rec), attempts, when)
	v.event(meta.EventWarning, ReasonCAError, st.Reason)
}

// problemText renders a recorded problem as "type: detail" (or the detail).
func problemText(p *Problem) string {
	return acmeproto.Problem{Type: p.Type, Detail: p.Detail}.String()
}

// invalidReason explains an invalid ACME order: the CA's order problem and,
// for each invalid authorization, the failed challenge and its detail.
func (r *Reconciler) invalidReason(ctx context.Context, v *visit, ao *acme.Order) string {
	var parts []string
	// One bound for all the reads, so the step fits its claim.
	actx, cancel := context.WithTimeout(ctx, r.opts.RequestTimeout)
	defer cancel()
	for _, u := range ao.AuthzURLs {
		a, err := v.cl.GetAuthorization(acmeproto.WithAction(actx, acmeproto.ActionGetAuthorization), u)
		if err != nil {
			parts = append(parts, fmt.Sprintf("authorization %s: %v", u, err))
			continue
		}
		if a.Status == acme.StatusInvalid {
			parts = append(parts, challenge.FailureReason(a, ""))
		}
	}
	// The order's own problem usually repeats an authorization's; it is
	// the explanation only when no authorization gives one.
	if len(parts) == 0 && ao.Error != nil {
		parts = append(parts, fmt.Sprintf("order: %s: %s", ao.Error.ProblemType, ao.Error.Detail))
	}
	if len(parts) == 0 {
		return fmt.Sprintf("ACME order %s is invalid (the CA gave no detail)", v.o.Status.URL)
	}
	return strings.Join(parts, "; ")
}
