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
// certificate; certflow asks for it after each issuance and again when the
// CA's Retry-After says, renews at a time drawn uniformly inside the window
// (at once when the window is already past: the CA plans a revocation), and
// names the certificate it replaces in the new order. The fetch is an
// effect; choosing the time and deciding to renew read only the status.

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

// renewalTimeOf is when the leaf in cert's Secret is renewed: the time
// selected inside the CA's suggested window when there is one for this
// leaf, else ScheduleRenewal (half-life for a short-lived leaf).
func renewalTimeOf(cert *Certificate, leaf *x509.Certificate) time.Time {
	rt, _ := renewalOf(cert, leaf)
	return rt
}

// renewalOf is renewalTimeOf and what chose it.
func renewalOf(cert *Certificate, leaf *x509.Certificate) (time.Time, RenewalBasis) {
	id, _ := acmeproto.CertID(leaf)
	if a := ariStatus(cert, id); a != nil && a.SelectedTime != nil {
		return *a.SelectedTime, RenewalBasisARI
	}
	return ScheduleRenewal(leaf.NotBefore, leaf.NotAfter, &cert.Spec, JitterKey(cert))
}

// ariCheckDue reports whether the CA must be asked about leaf now: never
// asked about this leaf, or its next check has come.
func ariCheckDue(cert *Certificate, leaf *x509.Certificate, now time.Time) bool {
	id, err := acmeproto.CertID(leaf)
	if err != nil {
		return false // no CertID, no renewalInfo to ask for
	}
	a := ariStatus(cert, id)
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
