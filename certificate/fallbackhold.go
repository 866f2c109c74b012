package certificate

import (
	"fmt"
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
)

// A CA that rate limits an issuance answers with a Retry-After. The order
// that met it would wait it out, but with a fallback issuer the request is
// passed over and deleted, and with it the CA's time: a retry after a
// counted failure, or the next renewal, would start at that issuer again
// and ask the CA before its time (where every early request counts against
// the account). So the time is kept in the skip (SkippedIssuer.RetryAt)
// until it has passed, and each issuance passes the issuer over without a
// request until then. (The ACME account's own hold, issuer/accountgate.go,
// covers the account's other Certificates in this process.)

// keptSkips returns the skips of the issuance in progress and, of earlier
// issuances, those whose CA's time is still to come.
func keptSkips(cert *Certificate, now time.Time) []SkippedIssuer {
	rev, n := attemptOf(cert)
	var out []SkippedIssuer
	for _, s := range cert.Status.SkippedIssuers {
		if (s.Revision == rev && s.Attempt == n) || (s.RetryAt != nil && now.Before(*s.RetryAt)) {
			out = append(out, s)
		}
	}
	return out
}

// heldUntil returns until when a skip of cert records that ref's CA asked
// not to be asked, if that is still to come.
func heldUntil(cert *Certificate, ref meta.IssuerRef, now time.Time) (time.Time, bool) {
	var until time.Time
	for _, s := range cert.Status.SkippedIssuers {
		if s.RetryAt != nil && now.Before(*s.RetryAt) && s.RetryAt.After(until) && issuerRefsEqual(s.IssuerRef, ref) {
			until = *s.RetryAt
		}
	}
	return until, !until.IsZero()
}

// skipHeld passes over, for the issuance in progress, each issuer that
// comes next while its CA's time has not come, recording why; the last
// issuer is always asked (its order waits the time out).
func (d *decision) skipHeld() {
	cert, now := d.cert, d.s.Now
	rev, n := attemptOf(cert)
	for {
		ref, more := nextIssuer(cert)
		if !more {
			return
		}
		until, held := heldUntil(cert, ref, now)
		if !held {
			return
		}
		msg := "not sent: the CA asked not to be asked before " + until.UTC().Format(time.RFC3339)
		cert.Status.SkippedIssuers = append(cert.Status.SkippedIssuers, SkippedIssuer{IssuerRef: ref,
			Reason: request.ReasonRateLimited, Message: msg, Time: now, Revision: rev, Attempt: n, RetryAt: &until})
		r := ref.Resolve(cert.ObjectMeta.Namespace)
		d.plan.Eventf(meta.EventWarning, ReasonIssuerSkipped, fmt.Sprintf("%s %q skipped (%s: %s); trying the next issuer",
			r.Kind, r.Name, request.ReasonRateLimited, msg))
	}
}
