package issuer

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/certflow/certflow/internal/acmepost"
	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/meta"
)

// ErrNoRenewalInfo means the issuer's CA does not offer ACME Renewal
// Information (RFC 9773): its directory advertises no renewalInfo.
var ErrNoRenewalInfo = errors.New("issuer: the CA does not offer ACME Renewal Information")

// RenewalInfo is what an ACME CA suggests for renewing one certificate
// (RFC 9773 §4.2).
type RenewalInfo struct {
	// CertID names the certificate (RFC 9773 §4.1).
	CertID string
	// WindowStart and WindowEnd bound the suggested renewal window.
	WindowStart, WindowEnd time.Time
	// ExplanationURL, if the CA gave one, says why the window is there.
	ExplanationURL string
	// RetryAfter is when the CA asks to be asked again; 0 if it did not say.
	RetryAfter time.Duration
}

// RenewalInfoError is a failed renewalInfo fetch with the wait the CA asked
// for, if it did.
type RenewalInfoError struct {
	Err        error
	RetryAfter time.Duration
}

func (e *RenewalInfoError) Error() string { return e.Err.Error() }
func (e *RenewalInfoError) Unwrap() error { return e.Err }

// RenewalInfo fetches the ACME Renewal Information of leaf from the CA of
// the issuer named ref. It is ErrUnsupported for an issuer that is not
// ACME, ErrNoRenewalInfo when its CA does not offer ARI, ErrNotReady before
// its account is registered; a failed fetch is a *RenewalInfoError.
func (r *Reconciler) RenewalInfo(ctx context.Context, ref meta.Ref, leaf *x509.Certificate) (RenewalInfo, error) {
	iss, err := Get(ctx, r.deps.Store, ref)
	if err != nil {
		return RenewalInfo{}, err
	}
	if iss.IssuerSpec().ACME == nil {
		return RenewalInfo{}, fmt.Errorf("issuer: renewal info: %w: %s is not an ACME issuer", ErrUnsupported, ref)
	}
	id, err := acmeproto.CertID(leaf)
	if err != nil {
		return RenewalInfo{}, fmt.Errorf("issuer: renewal info: %w", err)
	}
	cl, err := r.clients.Client(ctx, iss)
	if err != nil {
		return RenewalInfo{}, err
	}
	ri, err := r.clients.post.RenewalInfo(acmeproto.WithAction(ctx, acmeproto.ActionGetRenewalInfo), cl, id)
	switch {
	case errors.Is(err, acmepost.ErrNoRenewalInfo):
		return RenewalInfo{}, fmt.Errorf("%w: %s", ErrNoRenewalInfo, iss.IssuerSpec().ACME.Server)
	case err != nil:
		p := acmeproto.Classify(err, time.Now())
		return RenewalInfo{}, &RenewalInfoError{Err: fmt.Errorf("issuer: renewal info: %w", err), RetryAfter: p.RetryAfter}
	}
	return RenewalInfo{CertID: id, WindowStart: ri.Start, WindowEnd: ri.End, ExplanationURL: ri.ExplanationURL, RetryAfter: ri.RetryAfter}, nil
}
