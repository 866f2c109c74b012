package certificate

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/secret"
)

// ACME Renewal Information (RFC 9773): the CA suggests a renewal window per
// certificate; certflow asks for it one check interval after each issuance
// (firstARICheck) and again when the CA's Retry-After says, renews at a time
// drawn uniformly inside the window (at once when the window is already
// past: the CA plans a revocation), and names the certificate it replaces
// in the new order. The fetch is an effect; choosing the time and deciding
// to renew read only the status.

// RenewalInfoSource fetches a certificate's ACME Renewal Information from
// the CA of the issuer named ref. issuer.Reconciler implements it.
// RenewalInfo returns issuer.ErrUnsupported for a non-ACME issuer,
// issuer.ErrNoRenewalInfo when the CA offers none, and a
// *issuer.RenewalInfoError (with the CA's Retry-After) when a fetch fails.
type RenewalInfoSource interface {
	RenewalInfo(ctx context.Context, ref meta.Ref, leaf *x509.Certificate) (issuer.RenewalInfo, error)
}

var _ RenewalInfoSource = (*issuer.Reconciler)(nil)

// Bounds of the interval between two renewalInfo checks of a certificate:
// RFC 9773 §4.3 suggests treating a Retry-After under a minute as a minute
// and one over a day as a day. Without one, cert-manager's 6 hours.
const (
	ARIDefaultCheck = 6 * time.Hour
	ARIMinCheck     = time.Minute
	ARIMaxCheck     = 24 * time.Hour
	// ariErrorCheck is the next check after a failed one the CA gave no
	// Retry-After for.
	ariErrorCheck = time.Hour
	// ariUnsupportedCheck is how often a CA without ARI is asked again (its
	// directory may gain it).
	ariUnsupportedCheck = ARIMaxCheck
)

// ariStatus returns the ARI status of cert for the certificate certID, or
// nil when the status is about another certificate (or absent).
func ariStatus(cert *Certificate, certID string) *ARIStatus {
	if cert.Status.ACME == nil || cert.Status.ACME.ARI == nil || certID == "" || cert.Status.ACME.ARI.CertID != certID {
		return nil
	}
	return cert.Status.ACME.ARI
}

// ariStatusOf is ariStatus for leaf's CertID, compared without building
// it (every visit of an issued certificate asks), and whether leaf has a
// CertID at all.
func ariStatusOf(cert *Certificate, leaf *x509.Certificate) (a *ARIStatus, hasID bool) {
	if cert.Status.ACME == nil || cert.Status.ACME.ARI == nil {
		_, hasID = acmeproto.IsCertID(leaf, "")
		return nil, hasID
	}
	a = cert.Status.ACME.ARI
	is, hasID := acmeproto.IsCertID(leaf, a.CertID)
	if !is || a.CertID == "" {
		return nil, hasID
	}
	return a, hasID
}

// renewalTimeOf is when the leaf in cert's Secret is renewed: the time
// selected inside the CA's suggested window when there is one for this
// leaf, else ScheduleRenewal (half-life for a short-lived leaf).
func renewalTimeOf(cert *Certificate, leaf *x509.Certificate) time.Time {
	rt, _ := renewalOf(cert, leaf)
	return rt
}

// renewalOf is renewalTimeOf and what chose it.
func renewalOf(cert *Certificate, leaf *x509.Certificate) (time.Time, RenewalBasis) {
	if a, _ := ariStatusOf(cert, leaf); a != nil && a.SelectedTime != nil {
		return *a.SelectedTime, RenewalBasisARI
	}
	return ScheduleRenewal(leaf.NotBefore, leaf.NotAfter, &cert.Spec, JitterKey(cert))
}

// ariCheckDue reports whether the CA must be asked about leaf now: never
// asked about this leaf, or its next check has come.
func ariCheckDue(cert *Certificate, leaf *x509.Certificate, now time.Time) bool {
	a, hasID := ariStatusOf(cert, leaf)
	if !hasID {
		return false // no CertID, no renewalInfo to ask for
	}
	return a == nil || a.NextCheck == nil || !now.Before(*a.NextCheck)
}

// nextARICheck is when to ask again: retryAfter (the CA's, bounded to
// [ARIMinCheck, ARIMaxCheck]; ARIDefaultCheck if it gave none) plus up to a
// tenth more, drawn by rnd, so that certificates issued together do not
// all ask together. It is never earlier than the CA asked.
func nextARICheck(now time.Time, retryAfter time.Duration, rnd func(n int64) int64) time.Time {
	d := retryAfter
	if d <= 0 {
		d = ARIDefaultCheck
	}
	d = min(max(d, ARIMinCheck), ARIMaxCheck)
	return now.Add(d + time.Duration(rnd(int64(d/10)+1)))
}

// firstARICheck is the ARI status of the leaf certID issued at now and
// due for renewal at renewal (from its validity): nothing asked yet, the
// first check due one check interval from now (ARIDefaultCheck plus up to a
// tenth, as after an answer without Retry-After, drawn from key and the
// leaf so certificates issued together are not all asked together and
// the decision stays a function of its snapshot), or halfway to renewal
// when that comes sooner.
//
// RFC 9773 §4.3 says a client SHOULD ask right after issuance; certflow
// does not, because the answer cannot change what happens before the first
// check: the CA issued the leaf a moment ago, so its window is the normal
// one, which only moves the renewal time from two thirds of the lifetime
// to somewhere near it, days away. What a check exists to catch is a
// window moved into the past (a planned revocation), and that is noticed
// at the next check after the CA moves it: with a check at issuance the
// next one came one interval later, and so does this first one, so a
// revocation announced at any time after issuance is still acted on within
// one check interval (TestACME_ARI_MassRevocationDrill). A leaf that renews
// on its own schedule before then (short lifetimes) is asked halfway
// there, so the CA's window is known before that schedule runs out. The
// saving is one request, one reconcile and one status write per issuance:
// the request a minimal client would not send.
func firstARICheck(certID string, now, renewal time.Time, key string) *ARIStatus {
	next := now.Add(ARIDefaultCheck + jitterIn(key+"/"+certID, ARIDefaultCheck/10))
	if half := now.Add(renewal.Sub(now) / 2); half.Before(next) {
		next = half
	}
	return &ARIStatus{CertID: certID, NextCheck: &next}
}

// recordRenewalInfo returns the ARI status after the CA answered info about
// the certificate certID at now. The renewal time is drawn uniformly inside
// the window with rnd (rnd(n) ∈ [0, n)), truncated to the second — once per
// window: an unchanged window keeps the time chosen before, so every
// replica and restart renews at the same moment. A window already past
// yields a past time: renew at once.
func recordRenewalInfo(prev *ARIStatus, info issuer.RenewalInfo, now time.Time, rnd func(n int64) int64) *ARIStatus {
	w := &RenewalWindow{Start: info.WindowStart.UTC(), End: info.WindowEnd.UTC()}
	next := nextARICheck(now, info.RetryAfter, rnd)
	out := &ARIStatus{CertID: info.CertID, SuggestedWindow: w, ExplanationURL: info.ExplanationURL,
		LastChecked: &now, NextCheck: &next}
	if prev != nil && prev.SelectedTime != nil && prev.SuggestedWindow != nil &&
		prev.SuggestedWindow.Start.Equal(w.Start) && prev.SuggestedWindow.End.Equal(w.End) {
		out.SelectedTime = prev.SelectedTime
		return out
	}
	sel := w.Start
	if span := w.End.Sub(w.Start); span > 0 {
		sel = w.Start.Add(time.Duration(rnd(int64(span))))
	}
	sel = sel.Truncate(time.Second)
	if sel.Before(w.Start) {
		sel = w.Start
	}
	out.SelectedTime = &sel
	return out
}

// recordRenewalInfoError returns the ARI status after a failed check: what
// was known about the certificate stays, the error is shown, and the next
// check comes when the CA asked, or after ariErrorCheck
// (ariUnsupportedCheck when the CA offers no ARI).
func recordRenewalInfoError(prev *ARIStatus, certID string, err error, now time.Time, rnd func(n int64) int64) *ARIStatus {
	out := &ARIStatus{CertID: certID}
	if prev != nil {
		*out = *prev
	}
	wait := ariErrorCheck
	var rerr *issuer.RenewalInfoError
	switch {
	case errors.Is(err, issuer.ErrNoRenewalInfo):
		wait = ariUnsupportedCheck
	case errors.As(err, &rerr) && rerr.RetryAfter > 0:
		wait = rerr.RetryAfter
	}
	next := nextARICheck(now, wait, rnd)
	out.LastChecked, out.NextCheck, out.LastError = &now, &next, err.Error()
	return out
}

// ariEffect is the renewalInfo check of leaf: it records the CA's answer
// (or the failure) in cert's status. An issuer that turned out not to be
// ACME records nothing more than the check time, so it is not asked on
// every visit.
func ariEffect(cert *Certificate, sec *secret.Secret, leaf *x509.Certificate, src RenewalInfoSource, rnd func(n int64) int64, now time.Time) *reconcile.Effect {
	ref := cert.Spec.IssuerRef.Resolve(cert.ObjectMeta.Namespace)
	if sec != nil {
		// The issuer of the leaf: only its CA knows about it.
		ref = secretIssuer(cert, sec.ObjectMeta.Annotations).Resolve(cert.ObjectMeta.Namespace)
	}
	return &reconcile.Effect{
		Name: "get renewal info",
		Do: func(ctx context.Context) error {
			id, err := acmeproto.CertID(leaf)
			if err != nil {
				return nil // ariCheckDue never asks for such a leaf
			}
			prev := ariStatus(cert, id)
			info, err := src.RenewalInfo(ctx, ref, leaf)
			if err != nil && ctx.Err() != nil {
				return fmt.Errorf("certificate: renewal info: %w", err)
			}
			if cert.Status.ACME == nil {
				cert.Status.ACME = &ACMEStatus{}
			}
			if err != nil {
				cert.Status.ACME.ARI = recordRenewalInfoError(prev, id, err, now, rnd)
				return nil
			}
			cert.Status.ACME.ARI = recordRenewalInfo(prev, info, now, rnd)
			// In the same write, so the status never shows a renewal time
			// the window no longer gives.
			cert.Status.RenewalTime = cert.Status.ACME.ARI.SelectedTime
			return nil
		},
	}
}
