package order

import (
	"context"
	"errors"
	"slices"
	"time"

	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
)

// finalize submits the CSR and, if the CA issues within FinalizeTimeout,
// downloads the chain; else later looks at the order. The POST is
// acmepost's, not x/crypto's CreateCertFromOrder, whose wait for the
// certificate sleeps a second whenever the order is still processing.
func (r *Reconciler) finalize(ctx context.Context, v *visit) error {
	st := &v.o.Status
	// Checked when its request was approved; the CA checks it again.
	csr, err := r.opts.CSRs.Parse(v.o.Spec.Request)
	if err != nil {
		r.finalFail(v, StateErrored, opFinalize+": "+err.Error())
		return nil
	}
	fctx, cancel := context.WithTimeout(ctx, r.opts.FinalizeTimeout)
	defer cancel()
	// One POST per visit: the client retries nothing but a bad nonce.
	ao, retryAfter, err := r.post.Finalize(acmeproto.WithAction(fctx, acmeproto.ActionCreateOrderCert), v.cl, st.FinalizeURL, csr.Raw)
	op := opFinalize
	if err == nil {
		finalized := len(v.events)
		v.event(meta.EventNormal, ReasonFinalized, "finalized ACME order")
		op = opGetOrder
		if ao, retryAfter, err = r.awaitIssued(fctx, v, ao, retryAfter); err == nil {
			err = r.apply(ctx, v, ao, retryAfter)
			if v.o.Status.State == StateValid {
				// Complete tells it all: as cert-manager's orders
				// controller, no event of its own for a finalize that
				// brought the certificate at once (one Event per
				// certificate fewer to store, watch and expire).
				v.events = slices.Delete(v.events, finalized, finalized+1)
			}
			return err
		}
	}
	switch {
	case interrupted(ctx, err):
		// Finalizing stays on record: the order is read next.
		return ctx.Err()
	case errors.Is(err, context.DeadlineExceeded):
		// No answer in time, or still issuing: the order is read next
		// (Finalizing stays on record), never finalized blindly again.
		st.State = StateProcessing
		st.Polls++
		at := r.deps.Clock.Now().Add(r.poll(v, StateProcessing).Pause(st.Polls, retryAfter))
		st.Problem, st.NotBefore = nil, &at
		return nil
	}
	r.failed(v, op, err)
	if notReady(st.Problem) {
		// The CA does not call the order ready, though its authorizations
		// are valid here (it is still settling them, or someone finalized
		// it already): the finalize did not take. The order is read now,
		// and then until the CA says ready, and finalized then.
		st.Finalizing = false
		return r.getOrder(ctx, v)
	}
	return nil
}

// awaitIssued looks at an order the CA answered "processing" until it is
// not, or ctx ends. The first look is at once (a CA signs in milliseconds,
// and answers the finalize before the certificate is stored), the next
// ones at the poll policy's pace, or the CA's Retry-After when it sends
// one. It returns the order and the Retry-After of the latest answer, that
// one also with an error. The look after the first pause of the policy's
// own tells the learned pause (Options.FirstPolls) whether it came late
// enough.
func (r *Reconciler) awaitIssued(ctx context.Context, v *visit, ao *acme.Order, retryAfter time.Duration) (*acme.Order, time.Duration, error) {
	url := v.o.Status.URL
	learned := r.learned(v)
	for n := 0; acmeproto.Status(ao.Status) == acmeproto.StatusProcessing; n++ {
		sample := false
		var pause time.Duration
		if n > 0 || retryAfter > 0 {
			sample = n == 1 && retryAfter <= 0 && learned != nil
			pause = r.poll(v, StateProcessing).Pause(n, retryAfter)
			// Wall-clock time: this paces requests to the CA within one
			// call, as x/crypto's own waits do; it decides nothing.
			t := time.NewTimer(pause)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, retryAfter, ctx.Err()
			case <-t.C:
			}
		}
		next, err := v.cl.GetOrder(acmeproto.WithAction(ctx, acmeproto.ActionGetOrder), url)
		if err != nil {
			return nil, retryAfter, err
		}
		if sample {
			learned.ObserveAfter(pause, acmeproto.Status(next.Status) != acmeproto.StatusProcessing)
		}
		ao, retryAfter = next, r.retryAfter(url)
	}
	return ao, retryAfter, nil
}

// download fetches the chain of a valid order.
func (r *Reconciler) download(ctx context.Context, v *visit, certURL string) error {
	actx, cancel := context.WithTimeout(ctx, r.opts.RequestTimeout)
	defer cancel()
	der, err := v.cl.FetchCert(acmeproto.WithAction(actx, acmeproto.ActionFetchCert), certURL, true)
	if interrupted(ctx, err) {
		return ctx.Err()
	}
	if err != nil {
		v.o.Status.CertificateURL = certURL
		r.failed(v, opDownload, err)
		return nil
	}
	r.complete(ctx, v, der, certURL)
	return nil
}

// complete picks the preferred chain and makes the order valid.
func (r *Reconciler) complete(ctx context.Context, v *visit, der [][]byte, certURL string) {
	chain := r.chooseChain(ctx, v, der, certURL)
	st := &v.o.Status
	st.Certificate = pki.EncodeDER(chain...)
	st.CertificateURL = certURL
	st.State = StateValid
	st.Reason, st.FailureTime, st.Finalizing, st.Polls = "", nil, false, 0
	succeeded(v.o)
	v.event(meta.EventNormal, ReasonComplete, "certificate issued")
}
