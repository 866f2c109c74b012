package acmeproto

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/crypto/acme"
)

// Class says what an ACME failure means for the next step.
type Class int

// Classes of failure, from "try again soon" to "never again".
const (
	// Transient: a 5xx, a 408, a network error or anything not from the CA;
	// retry with backoff.
	Transient Class = iota
	// RateLimited: the CA asked the account to wait (429 or rateLimited);
	// wait for Problem.RetryAfter before the account sends more.
	RateLimited
	// BadNonce: the nonce was stale; retrying at once with a fresh one is
	// the protocol (RFC 8555 §6.5).
	BadNonce
	// AccountGone: the CA does not know the account; register again.
	AccountGone
	// Terminal: the CA refused the request for good (a 4xx problem);
	// repeating it cannot succeed and would only count against the limits.
	Terminal
)

// Problem types of RFC 8555 §6.7 that certflow branches on.
const (
	ProblemAccountDoesNotExist = "urn:ietf:params:acme:error:accountDoesNotExist"
	ProblemBadNonce            = "urn:ietf:params:acme:error:badNonce"
	ProblemRateLimited         = "urn:ietf:params:acme:error:rateLimited"
	ProblemOrderNotReady       = "urn:ietf:params:acme:error:orderNotReady"
	ProblemServerInternal      = "urn:ietf:params:acme:error:serverInternal"
	ProblemUnauthorized        = "urn:ietf:params:acme:error:unauthorized"
	ProblemMalformed           = "urn:ietf:params:acme:error:malformed"
	// ProblemAlreadyReplaced (RFC 9773 §7.4): the certificate a newOrder's
	// replaces names already has a replacement order.
	ProblemAlreadyReplaced = "urn:ietf:params:acme:error:alreadyReplaced"
	// ProblemAlreadyRevoked (RFC 8555 §7.6): the certificate to revoke is
	// revoked already.
	ProblemAlreadyRevoked = "urn:ietf:params:acme:error:alreadyRevoked"
	// ProblemBadRevocationReason (RFC 8555 §7.6): the CA does not accept
	// the reason code.
	ProblemBadRevocationReason = "urn:ietf:params:acme:error:badRevocationReason"
)

// Problem is an ACME failure as certflow reasons about it.
type Problem struct {
	Class Class
	// Type is the RFC 7807 problem type, empty when the CA sent none.
	Type string
	// Detail is the CA's explanation, or the error's text.
	Detail string
	// HTTPStatus is the CA's status code; 0 when no answer came.
	HTTPStatus int
	// RetryAfter is how long the CA asked to wait; 0 if it did not say.
	RetryAfter time.Duration
}

// Classify reads err (from x/crypto/acme or the transport) as a Problem.
// Retry-After dates are read relative to now.
func Classify(err error, now time.Time) Problem {
	var oe *acme.OrderError
	if errors.As(err, &oe) {
		p := Problem{Class: Terminal, Detail: fmt.Sprintf("order is %s", oe.Status)}
		if oe.Problem != nil {
			p.Type, p.Detail = oe.Problem.ProblemType, oe.Problem.Detail
		}
		return p
	}
	var ipe *IPRejectedError
	if errors.As(err, &ipe) {
		p := Classify(ipe.Err, now)
		p.Detail = ipe.hint() + ": " + p.Detail
		return p
	}
	var ae *acme.Error
	if !errors.As(err, &ae) {
		return Problem{Class: Transient, Detail: errText(err)}
	}
	p := Problem{Type: ae.ProblemType, Detail: ae.Detail, HTTPStatus: ae.StatusCode}
	if ae.Header != nil {
		p.RetryAfter, _ = ParseRetryAfter(ae.Header.Get("Retry-After"), now)
	}
	switch {
	case ae.ProblemType == ProblemRateLimited || ae.StatusCode == http.StatusTooManyRequests:
		p.Class = RateLimited
	case ae.ProblemType == ProblemBadNonce:
		p.Class = BadNonce
	case ae.ProblemType == ProblemAccountDoesNotExist:
		p.Class = AccountGone
	case ae.StatusCode >= 500, ae.StatusCode == http.StatusRequestTimeout, ae.StatusCode == 0:
		p.Class = Transient
	default:
		p.Class = Terminal
	}
	return p
}

// String renders the problem as "type: detail" (or the detail alone), the
// form statuses and events show; it never includes request bodies or keys.
func (p Problem) String() string {
	if p.Type == "" {
		return p.Detail
	}
	return p.Type + ": " + p.Detail
}

func errText(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer from the CA in time: " + err.Error()
	}
	return err.Error()
}

// ProblemCAA is the CA refusing an identifier for its CAA records (RFC
// 8555 §6.7): like ProblemRejectedIdentifier, another CA may issue.
const ProblemCAA = "urn:ietf:params:acme:error:caa"
