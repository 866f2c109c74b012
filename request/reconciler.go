package request

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/store"
)

// AnnotationPrivateKeyName names the Secret holding the key that made the
// CSR; SelfSigned issuers sign with it (as cert-manager does).
const AnnotationPrivateKeyName = "cert-manager.io/private-key-secret-name"

// Options configure the request reconciler.
type Options struct {
	// Approver decides on new requests. If nil, ApproveAll.
	Approver Approver
	// Signer signs for SelfSigned and CA issuers. Required.
	Signer *issuer.Signer
	// IssuerRetry is how soon a request whose issuer is missing or not ready
	// looks again, besides being woken by the issuer's changes. If zero, 1 minute.
	IssuerRetry time.Duration
}

// Reconciler approves and signs CertificateRequests.
type Reconciler struct {
	deps reconcile.Deps
	opts Options
}

var _ reconcile.Reconciler = (*Reconciler)(nil)

// NewReconciler returns a request reconciler.
func NewReconciler(deps reconcile.Deps, opts Options) *Reconciler {
	if opts.Approver == nil {
		opts.Approver = ApproveAll{}
	}
	if opts.IssuerRetry == 0 {
		opts.IssuerRetry = time.Minute
	}
	return &Reconciler{deps: deps, opts: opts}
}

// Reconcile moves one CertificateRequest forward.
func (r *Reconciler) Reconcile(ctx context.Context, ref meta.Ref) (time.Time, error) {
	req := &CertificateRequest{}
	if err := r.deps.Store.Get(ctx, ref, req); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return time.Time{}, nil
		}
		return time.Time{}, err
	}
	if IsFinal(req) {
		return time.Time{}, nil
	}
	before := req.Status
	before.Conditions = append(meta.Conditions(nil), req.Status.Conditions...)
	next, err := r.reconcile(ctx, req)
	if err != nil {
		return time.Time{}, err
	}
	if !reflect.DeepEqual(before, req.Status) {
		if err := r.deps.Store.Update(ctx, req); err != nil {
			return time.Time{}, err
		}
	}
	return next, nil
}

func (r *Reconciler) reconcile(ctx context.Context, req *CertificateRequest) (time.Time, error) {
	now := r.deps.Clock.Now()
	// An approved request's CSR was verified before approval; verifying its
	// signature again on every visit would be the costliest step here.
	if req.Status.Conditions.IsTrue(meta.ConditionApproved) {
		return r.issue(ctx, req, nil, now)
	}
	csr, err := pki.ParseCSR(req.Spec.Request)
	if err != nil {
		req.Status.Conditions.Set(meta.Condition{Type: meta.ConditionInvalidRequest, Status: meta.ConditionTrue,
			Reason: ReasonInvalidCSR, Message: err.Error(), LastTransitionTime: now})
		r.fail(req, ReasonFailed, "Invalid CSR: "+err.Error(), now)
		return time.Time{}, nil
	}
	if done, err := r.approve(ctx, req, now); done || err != nil {
		return time.Time{}, err
	}
	return r.issue(ctx, req, csr, now)
}

// issue hands an approved request to its issuer. csr is the verified CSR
// when this visit verified it, else nil.
func (r *Reconciler) issue(ctx context.Context, req *CertificateRequest, csr *x509.CertificateRequest, now time.Time) (time.Time, error) {
	issRef := req.Spec.IssuerRef.Resolve(req.ObjectMeta.Namespace)
	iss, err := issuer.Get(ctx, r.deps.Store, issRef)
	if errors.Is(err, store.ErrNotFound) {
		r.pending(req, ReasonIssuerNotReady, fmt.Sprintf("Referenced %s %q not found", issRef.Kind, issRef.Name), now)
		return now.Add(r.opts.IssuerRetry), nil
	}
	if err != nil {
		return time.Time{}, err
	}
	if ready := iss.IssuerStatus().Conditions.Get(meta.ConditionReady); ready == nil || ready.Status != meta.ConditionTrue {
		msg := fmt.Sprintf("Referenced %s %q does not have a Ready status condition", issRef.Kind, issRef.Name)
		if ready != nil {
			msg = fmt.Sprintf("Referenced %s %q is not ready: %s: %s", issRef.Kind, issRef.Name, ready.Reason, ready.Message)
		}
		r.pending(req, ReasonIssuerNotReady, msg, now)
		return now.Add(r.opts.IssuerRetry), nil
	}
	if iss.IssuerSpec().Type() == issuer.TypeACME {
		return r.viaOrder(ctx, req, iss, now)
	}
	return r.sign(ctx, req, iss, csr, now)
}

// approve asks the Approver once; done reports that the request was denied.
func (r *Reconciler) approve(ctx context.Context, req *CertificateRequest, now time.Time) (done bool, err error) {
	if req.Status.Conditions.IsTrue(meta.ConditionApproved) {
		return false, nil
	}
	if req.Status.Conditions.IsTrue(meta.ConditionDenied) {
		return true, nil
	}
	d, err := r.opts.Approver.Approve(ctx, req)
	if err != nil {
		return false, fmt.Errorf("request: approve %s: %w", meta.RefOf(req), err)
	}
	if !d.Approved {
		req.Status.Conditions.Set(meta.Condition{Type: meta.ConditionDenied, Status: meta.ConditionTrue,
			Reason: ReasonDenied, Message: d.Reason, LastTransitionTime: now})
		r.fail(req, ReasonDenied, "The CertificateRequest was denied by an approval controller: "+d.Reason, now)
		return true, nil
	}
	req.Status.Conditions.Set(meta.Condition{Type: meta.ConditionApproved, Status: meta.ConditionTrue,
		Reason: ReasonApproved, Message: d.Reason, LastTransitionTime: now})
	r.deps.Events.Event(meta.RefOf(req), meta.EventNormal, ReasonApproved, d.Reason)
	return false, nil
}

func (r *Reconciler) sign(ctx context.Context, req *CertificateRequest, iss issuer.Object, csr *x509.CertificateRequest, now time.Time) (time.Time, error) {
	in := issuer.SignInput{
		Namespace:            req.ObjectMeta.Namespace,
		CSR:                  req.Spec.Request,
		ParsedCSR:            csr,
		IsCA:                 req.Spec.IsCA,
		Usages:               req.Spec.Usages,
		PrivateKeySecretName: req.ObjectMeta.Annotations[AnnotationPrivateKeyName],
	}
	if req.Spec.Duration != nil {
		in.Duration = req.Spec.Duration.Duration
	}
	out, err := r.opts.Signer.Sign(ctx, iss, in)
	switch {
	case errors.Is(err, reconcile.ErrTerminal):
		r.fail(req, ReasonFailed, "Signing failed: "+err.Error(), now)
		return time.Time{}, nil
	case errors.Is(err, issuer.ErrNotReady):
		r.pending(req, ReasonPending, "Issuer cannot sign yet: "+err.Error(), now)
		return now.Add(r.opts.IssuerRetry), nil
	case err != nil:
		return time.Time{}, err
	}
	req.Status.Certificate, req.Status.CA = out.Chain, out.CA
	r.setReady(req, meta.ConditionTrue, ReasonIssued, "Certificate fetched from issuer successfully", now)
	r.deps.Events.Event(meta.RefOf(req), meta.EventNormal, ReasonIssued, "Certificate fetched from issuer successfully")
	return time.Time{}, nil
}

func (r *Reconciler) pending(req *CertificateRequest, reason meta.Reason, msg string, now time.Time) {
	r.setReady(req, meta.ConditionFalse, reason, msg, now)
}

func (r *Reconciler) fail(req *CertificateRequest, reason meta.Reason, msg string, now time.Time) {
	r.setReady(req, meta.ConditionFalse, reason, msg, now)
	req.Status.FailureTime = &now
	r.deps.Events.Event(meta.RefOf(req), meta.EventWarning, reason, msg)
}

func (r *Reconciler) setReady(req *CertificateRequest, status meta.ConditionStatus, reason meta.Reason, msg string, now time.Time) {
	req.Status.Conditions.Set(meta.Condition{Type: meta.ConditionReady, Status: status, Reason: reason,
		Message: msg, LastTransitionTime: now})
}

// IsFinal reports whether req was issued, denied or failed for good.
func IsFinal(req *CertificateRequest) bool {
	if req.Status.Conditions.IsTrue(meta.ConditionInvalidRequest) || req.Status.Conditions.IsTrue(meta.ConditionDenied) {
		return true
	}
	c := req.Status.Conditions.Get(meta.ConditionReady)
	if c == nil {
		return false
	}
	return c.Status == meta.ConditionTrue || c.Reason == ReasonFailed || c.Reason == ReasonDenied
}
