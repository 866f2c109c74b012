package request

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/store"
)

// viaOrder creates the request's ACME Order (once: its name derives from the
// spec) and mirrors its outcome.
func (r *Reconciler) viaOrder(ctx context.Context, req *CertificateRequest, iss issuer.Object, now time.Time) (time.Time, error) {
	spec, err := orderSpec(req, iss)
	if err != nil {
		r.fail(req, ReasonFailed, err.Error(), now)
		return time.Time{}, nil
	}
	name := order.Name(req.ObjectMeta.Name, req.ObjectMeta.UID, spec)
	ref := meta.Ref{Kind: meta.KindOrder, Namespace: req.ObjectMeta.Namespace, Name: name}
	o := &order.Order{}
	err = r.deps.Store.Get(ctx, ref, o)
	switch {
	case errors.Is(err, store.ErrNotFound):
		o = &order.Order{
			ObjectMeta: meta.ObjectMeta{
				Namespace: req.ObjectMeta.Namespace,
				Name:      name,
				Labels:    req.ObjectMeta.Labels,
				OwnerRefs: []meta.Ref{meta.RefOf(req)},
			},
			Spec: spec,
		}
		if err := r.deps.Store.Create(ctx, o); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
			return time.Time{}, err
		}
		msg := fmt.Sprintf("Created Order resource %s", name)
		r.pending(req, ReasonOrderCreated, msg, now)
		r.deps.Events.Event(meta.RefOf(req), meta.EventNormal, ReasonOrderCreated, msg)
		return time.Time{}, nil
	case err != nil:
		return time.Time{}, err
	}
	switch o.Status.State {
	case order.StateValid:
		if len(o.Status.Certificate) == 0 {
			return time.Time{}, nil
		}
		req.Status.Certificate = o.Status.Certificate
		r.setReady(req, meta.ConditionTrue, ReasonIssued, "Certificate fetched from issuer successfully", now)
		r.deps.Events.Event(meta.RefOf(req), meta.EventNormal, ReasonIssued, "Certificate fetched from issuer successfully")
	case order.StateInvalid, order.StateErrored, order.StateExpired:
		r.fail(req, ReasonFailed, fmt.Sprintf("Failed to wait for order resource %q to become ready: order is in %q state: %s",
			name, o.Status.State, o.Status.Reason), now)
	case order.StateUnknown, order.StatePending, order.StateReady, order.StateProcessing:
		msg := fmt.Sprintf("Waiting on certificate issuance from order %s/%s: %q", o.ObjectMeta.Namespace, name, o.Status.State)
		if o.Status.Reason != "" {
			msg += ": " + o.Status.Reason
		}
		r.pending(req, ReasonPending, msg, now)
	}
	return time.Time{}, nil
}

func orderSpec(req *CertificateRequest, iss issuer.Object) (order.Spec, error) {
	// Verified when the request was approved.
	csr, err := pki.ParseCSRUnverified(req.Spec.Request)
	if err != nil {
		return order.Spec{}, err
	}
	spec := order.Spec{
		Request:    req.Spec.Request,
		IssuerRef:  req.Spec.IssuerRef,
		CommonName: csr.Subject.CommonName,
		DNSNames:   csr.DNSNames,
		Duration:   req.Spec.Duration,
		Profile:    iss.IssuerSpec().ACME.Profile,
	}
	for _, ip := range csr.IPAddresses {
		spec.IPAddresses = append(spec.IPAddresses, ip.String())
	}
	if len(csr.URIs) > 0 || len(csr.EmailAddresses) > 0 {
		return order.Spec{}, fmt.Errorf("ACME issuers cannot sign URI or email SANs")
	}
	if len(spec.DNSNames) == 0 && len(spec.IPAddresses) == 0 {
		return order.Spec{}, fmt.Errorf("ACME issuers need at least one DNS name or IP address")
	}
	return spec, nil
}
