package request

import (
	"fmt"
	"net/http"
	"time"

	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
)

// AnnotationFallback on a CertificateRequest says that its Certificate has
// another issuer to try after this request's one (spec.fallbackIssuerRefs):
// the request then gives up on its issuer as soon as that issuer is rate
// limited, unreachable or refuses an identifier, instead of waiting for it,
// and says why in Status.Fallback. A request without it (the last issuer,
// or a Certificate with a single issuer) waits and retries as before.
const AnnotationFallback = "certflow.io/fallback-issuer-follows"

// Reasons a request's issuer is passed over for the Certificate's next one
// (Fallback.Reason), besides ReasonIssuerNotReady: an issuer that is not
// Ready itself (say, its ACME account cannot be registered) cannot sign at
// all.
const (
	// ReasonRateLimited: the CA answered rateLimited (or 429). Its
	// Retry-After is honoured by not asking it again for this issuance.
	ReasonRateLimited meta.Reason = "RateLimited"
	// ReasonUnreachable: no answer, or 5xx answers, on
	// UnreachableAttempts consecutive tries.
	ReasonUnreachable meta.Reason = "Unreachable"
	// ReasonIdentifierRejected: the CA will not issue for a name
	// (rejectedIdentifier, unsupportedIdentifier, caa).
	ReasonIdentifierRejected meta.Reason = "IdentifierRejected"
)

// UnreachableAttempts is how many consecutive failed calls without an
// answer from the CA (transport errors, timeouts, 5xx) count as the CA being
// unreachable. The order reconciler backs off between them, so one blip is
// retried and only a CA that stays down is passed over.
const UnreachableAttempts = 3

// Fallback says why a request's issuer was passed over.
type Fallback struct {
	Reason meta.Reason `json:"reason"`
	// Message is the CA's problem (type and detail) or the issuer's
	// condition, without secrets.
	Message string `json:"message"`
	// RetryAt, for ReasonRateLimited, is when the CA's Retry-After lets
	// the issuer be asked again; nil if unknown.
	RetryAt *time.Time `json:"retryAt,omitempty"`
}

// orderFallback classifies why o's issuer cannot issue, when another issuer
// may: ok is false for every other failure, and for an order still on its
// way. Only failures of the CA or of its policy count. A malformed or
// badCSR answer, an unauthorized challenge, our own bug: those fail the
// same way at every CA (the CSR, the names, the solvers are the
// Certificate's), so trying the next one would only spend its limits and
// hide the fault behind a certificate that seems fine; such requests fail
// and back off as any other.
func orderFallback(o *order.Order) (Fallback, bool) {
	p := o.Status.Problem
	if p == nil || mayBeIssuing(o) {
		return Fallback{}, false
	}
	msg := fmt.Sprintf("%s: %s", p.Op, acmeproto.Problem{Type: p.Type, Detail: p.Detail})
	switch {
	case p.Type == acmeproto.ProblemRateLimited || p.HTTPStatus == http.StatusTooManyRequests:
		// The order waits until the CA's time: the issuer is not asked
		// again before it, in this issuance or a later one.
		var at *time.Time
		if nb := o.Status.NotBefore; nb != nil {
			t := *nb
			at = &t
		}
		return Fallback{Reason: ReasonRateLimited, Message: msg, RetryAt: at}, true
	case p.Type == acmeproto.ProblemRejectedIdentifier || p.Type == acmeproto.ProblemUnsupportedIdentifier || p.Type == acmeproto.ProblemCAA:
		return Fallback{Reason: ReasonIdentifierRejected, Message: msg}, true
	case unanswered(p) && p.Attempts >= UnreachableAttempts:
		return Fallback{Reason: ReasonUnreachable, Message: fmt.Sprintf("%s (%d attempts)", msg, p.Attempts)}, true
	}
	return Fallback{}, false
}

// mayBeIssuing reports whether the CA may be issuing o's certificate: a
// finalize may have reached it, or it says the order is processing or
// valid. Whatever a later call met (a 429 reading the order, a dropped
// connection downloading the certificate), passing such an order over
// would have the next CA issue a second certificate while this one's is
// left unread, counted against the same names' limits at both.
func mayBeIssuing(o *order.Order) bool {
	return o.Status.Finalizing || o.Status.State == order.StateProcessing || o.Status.State == order.StateValid
}

// unanswered reports whether p is a call the CA did not answer usefully:
// no answer at all (refused connection, timeout, dropped connection) or a
// server error. accountDoesNotExist and badNonce have answers of their own.
func unanswered(p *order.Problem) bool {
	switch {
	case p.Type == acmeproto.ProblemBadNonce || p.Type == acmeproto.ProblemAccountDoesNotExist:
		return false
	case p.HTTPStatus == 0 && p.Type == "":
		return true
	}
	return p.HTTPStatus >= http.StatusInternalServerError || p.HTTPStatus == http.StatusRequestTimeout
}

// issuerFallback says why an issuer that is not Ready is passed over: only
// one whose Ready condition is False (it tried and failed, say registering
// its account at a CA that does not answer); an issuer not looked at yet
// is waited for.
func issuerFallback(iss issuer.Object) (Fallback, bool) {
	c := iss.IssuerStatus().Conditions.Get(meta.ConditionReady)
	if c == nil || c.Status != meta.ConditionFalse {
		return Fallback{}, false
	}
	return Fallback{Reason: ReasonIssuerNotReady, Message: fmt.Sprintf("%s: %s", c.Reason, c.Message)}, true
}

// hasFallback reports whether req's Certificate has another issuer after
// req's.
func hasFallback(req *CertificateRequest) bool {
	return req.ObjectMeta.Annotations[AnnotationFallback] == "true"
}

// passOver fails req so that its Certificate tries its next issuer.
func passOver(p *decision, req *CertificateRequest, f Fallback, now time.Time) {
	req.Status.Fallback = &f
	ref := req.Spec.IssuerRef.Resolve(req.ObjectMeta.Namespace)
	fail(&p.plan, req, ReasonFailed, f.Reason, fmt.Sprintf("%s %q cannot issue (%s): %s; the Certificate tries its next issuer",
		ref.Kind, ref.Name, f.Reason, f.Message), now)
}
