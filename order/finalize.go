package order

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
)

// finalize submits the CSR and, once the CA issued, stores the chain.
func (r *Reconciler) finalize(ctx context.Context, cl *acme.Client, o *Order, ao *acme.Order, preferred string) (time.Time, error) {
	csr, err := pki.ParseCSR(o.Spec.Request)
	if err != nil {
		return r.fail(ctx, o, challenge.StateErrored, ReasonFailed, "finalize: "+err.Error())
	}
	fctx, cancel := context.WithTimeout(ctx, r.opts.FinalizeTimeout)
	defer cancel()
	// CreateCertFromOrder, not CreateOrderCert: some CAs (Pebble) send no
	// Location with the finalize answer, and the order URL is known here.
	der, certURL, err := cl.CreateCertFromOrder(fctx, ao, csr.Raw, true)
	if err != nil {
		return r.finalizeError(ctx, cl, o, err, preferred)
	}
	r.event(o, meta.EventNormal, ReasonFinalized, "finalized ACME order")
	return r.complete(ctx, cl, o, der, certURL, preferred)
}

// finalizeError decides after a failed finalize. A refused finalize (403
// orderNotReady) often means an earlier attempt went through before a
// crash: the order is looked at again before anything fails.
func (r *Reconciler) finalizeError(ctx context.Context, cl *acme.Client, o *Order, err error, preferred string) (time.Time, error) {
	var oe *acme.OrderError
	if errors.As(err, &oe) {
		reason := fmt.Sprintf("finalize: ACME order is %s", oe.Status)
		if oe.Problem != nil {
			reason += fmt.Sprintf(": %s: %s", oe.Problem.ProblemType, oe.Problem.Detail)
		}
		return r.fail(ctx, o, stateOf(oe.Status), ReasonFailed, reason)
	}
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		// Still issuing; the next visit sees processing or valid.
		return r.setState(ctx, o, challenge.StateProcessing, "", r.poll(o))
	}
	var ae *acme.Error
	if !errors.As(err, &ae) {
		return time.Time{}, fmt.Errorf("order: finalize: %w", err)
	}
	if _, rl := acme.RateLimit(ae); rl || ae.StatusCode >= 500 {
		return r.acmeError(ctx, o, "finalize", err)
	}
	actx, cancel := context.WithTimeout(ctx, r.opts.RequestTimeout)
	defer cancel()
	ao, gerr := cl.GetOrder(actx, o.Status.URL)
	if gerr == nil {
		switch ao.Status {
		case acme.StatusProcessing:
			return r.setState(ctx, o, challenge.StateProcessing, "", r.poll(o))
		case acme.StatusValid:
			return r.download(ctx, cl, o, ao, preferred)
		}
	}
	return r.acmeError(ctx, o, "finalize", err)
}

// download fetches the chain of an order that is already valid (the
// finalize answer was lost, e.g. by a crash).
func (r *Reconciler) download(ctx context.Context, cl *acme.Client, o *Order, ao *acme.Order, preferred string) (time.Time, error) {
	actx, cancel := context.WithTimeout(ctx, r.opts.RequestTimeout)
	defer cancel()
	der, err := cl.FetchCert(actx, ao.CertURL, true)
	if err != nil {
		return r.acmeError(ctx, o, "download certificate", err)
	}
	return r.complete(ctx, cl, o, der, ao.CertURL, preferred)
}

// complete picks the preferred chain and makes the order valid.
func (r *Reconciler) complete(ctx context.Context, cl *acme.Client, o *Order, der [][]byte, certURL, preferred string) (time.Time, error) {
	chain := r.chooseChain(ctx, cl, o, der, certURL, preferred)
	o.Status.Certificate = pki.EncodeDER(chain...)
	o.Status.CertificateURL = certURL
	o.Status.State = challenge.StateValid
	o.Status.Reason = ""
	o.Status.FailureTime = nil
	r.event(o, meta.EventNormal, ReasonComplete, "certificate issued")
	if err := r.update(ctx, o); err != nil {
		return time.Time{}, err
	}
	return r.deleteChallenges(ctx, o)
}

// chooseChain returns the first chain, the default one first, whose top
// certificate was issued by a CA with the preferred common name; else the
// default chain. A failure to read an alternate falls back to the default
// with a warning event: the default chain is valid too.
func (r *Reconciler) chooseChain(ctx context.Context, cl *acme.Client, o *Order, def [][]byte, certURL, preferred string) [][]byte {
	if preferred == "" || topIssuerCN(def) == preferred {
		return def
	}
	actx, cancel := context.WithTimeout(ctx, r.opts.RequestTimeout)
	defer cancel()
	alts, err := cl.ListCertAlternates(actx, certURL)
	if err != nil {
		r.event(o, meta.EventWarning, ReasonComplete, fmt.Sprintf("preferred chain %q: listing alternates: %v; using the default chain", preferred, err))
		return def
	}
	for _, u := range alts {
		alt, err := cl.FetchCert(actx, u, true)
		if err != nil {
			r.event(o, meta.EventWarning, ReasonComplete, fmt.Sprintf("preferred chain %q: fetching %s: %v", preferred, u, err))
			continue
		}
		if topIssuerCN(alt) == preferred {
			return alt
		}
	}
	return def
}

// topIssuerCN is the issuer common name of the last certificate of a chain.
func topIssuerCN(der [][]byte) string {
	if len(der) == 0 {
		return ""
	}
	certs, err := pki.ParseChain(pki.EncodeDER(der[len(der)-1]))
	if err != nil {
		return ""
	}
	return certs[0].Issuer.CommonName
}
