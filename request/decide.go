package request

import (
	"crypto/x509"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/reconcile"
)

// Snapshot is everything a decision about one CertificateRequest reads.
type Snapshot struct {
	// Request is the request as stored; decide does not modify it.
	Request *CertificateRequest
	// Issuer is the referenced issuer, or nil when it does not exist.
	Issuer issuer.Object
	// Order is the request's ACME Order (named from its spec), or nil when
	// the issuer is not ACME or the Order does not exist yet.
	Order *order.Order
	// Now is the current time.
	Now time.Time
	// csr, if set, is the request's CSR as the loader parsed it (without
	// its signature checked), so an approved request's visit parses it
	// once; nil, decide parses it.
	csr *x509.CertificateRequest
	// orderName, if set, is the name of the request's Order as the loader
	// derived it from the request's spec (order.Name), so a visit hashes
	// the spec once; empty, decide derives it.
	orderName string
	// csrs, if set, parses and verifies CSRs once (pki.CSRMemo); nil,
	// every time.
	csrs *pki.CSRMemo
	// chains, if set, parses issued chains once (pki.ChainMemo).
	chains *pki.ChainMemo
}

// effectKind names the one outside-world step a decision asks for.
type effectKind int

const (
	effectNone effectKind = iota
	// effectApprove asks the Approver; its answer becomes the Approved or
	// Denied condition.
	effectApprove
	// effectSign signs with a SelfSigned or CA issuer; the result goes
	// through signed.
	effectSign
)

// decision is decide's answer: a plan without effect closures (Plan.Object
// is the request with its new status), and which effect to attach.
type decision struct {
	plan   reconcile.Plan
	effect effectKind
	// csr is the parsed CSR, for the effect.
	csr *x509.CertificateRequest
}

// decide is the request's state machine: pure, reading only s.
func decide(s Snapshot, issuerRetry time.Duration) (d decision) {
	req := copyRequest(s.Request)
	d.plan.Object = req
	// Compared through pointers: a Status passed by value is boxed (copied
	// to the heap) twice per visit.
	defer func() { d.plan.Write = !reflect.DeepEqual(&req.Status, &s.Request.Status) }()
	now := s.Now
	if IsFinal(req) {
		return d
	}
	// A request is validated (its CSR signature checked) before approval;
	// verifying the signature again on every visit would be the costliest
	// step here.
	isApproved := req.Status.Conditions.IsTrue(meta.ConditionApproved)
	var csr *x509.CertificateRequest
	var err error
	switch {
	case isApproved && s.csr != nil:
		csr = s.csr
	case isApproved:
		csr, err = s.csrs.Parse(req.Spec.Request)
	default:
		csr, err = validate(req, s.csrs)
	}
	if err != nil {
		reason := ReasonValidationFailed
		var ve *ValidationError
		if !errors.As(err, &ve) || slices.ContainsFunc(ve.Problems, func(p FieldError) bool { return p.Field == "spec.request" }) {
			reason = ReasonInvalidCSR
		}
		req.Status.Conditions.Set(meta.Condition{Type: meta.ConditionInvalidRequest, Status: meta.ConditionTrue,
			Reason: reason, Message: err.Error(), LastTransitionTime: now})
		fail(&d.plan, req, ReasonFailed, ReasonFailed, "Invalid request: "+err.Error(), now)
		return d
	}
	d.csr = csr
	if !isApproved {
		d.effect = effectApprove
		return d
	}
	ref := req.Spec.IssuerRef.Resolve(req.ObjectMeta.Namespace)
	if s.Issuer == nil {
		setReady(req, meta.ConditionFalse, ReasonIssuerNotReady, fmt.Sprintf("Referenced %s %q not found", ref.Kind, ref.Name), now)
		d.plan.Next = now.Add(issuerRetry)
		return d
	}
	if ready := s.Issuer.IssuerStatus().Conditions.Get(meta.ConditionReady); ready == nil || ready.Status != meta.ConditionTrue {
		if f, ok := issuerFallback(s.Issuer); ok && hasFallback(req) {
			passOver(&d, req, f, now)
			return d
		}
		msg := fmt.Sprintf("Referenced %s %q does not have a Ready status condition", ref.Kind, ref.Name)
		if ready != nil {
			msg = fmt.Sprintf("Referenced %s %q is not ready: %s: %s", ref.Kind, ref.Name, ready.Reason, ready.Message)
		}
		setReady(req, meta.ConditionFalse, ReasonIssuerNotReady, msg, now)
		d.plan.Next = now.Add(issuerRetry)
		return d
	}
	if s.Issuer.IssuerSpec().Type() == issuer.TypeACME {
		decideACME(&d, req, csr, s)
		return d
	}
	d.effect = effectSign
	return d
}

// approved records an Approver's answer on req.
func approved(req *CertificateRequest, a Decision, now time.Time) []reconcile.Event {
	if !a.Approved {
		req.Status.Conditions.Set(meta.Condition{Type: meta.ConditionDenied, Status: meta.ConditionTrue,
			Reason: ReasonDenied, Message: a.Reason, LastTransitionTime: now})
		var p reconcile.Plan
		fail(&p, req, ReasonDenied, ReasonDenied, "The CertificateRequest was denied by an approval controller: "+a.Reason, now)
		return p.Events
	}
	req.Status.Conditions.Set(meta.Condition{Type: meta.ConditionApproved, Status: meta.ConditionTrue,
		Reason: ReasonApproved, Message: a.Reason, LastTransitionTime: now})
	return []reconcile.Event{{Type: meta.EventNormal, Reason: ReasonApproved, Message: a.Reason}}
}

// issued records a chain the issuer returned, but only after checking that
// its leaf is the certificate the CSR asked for: a leaf for another key or
// other names fails the request instead of showing it Ready (Issued).
func issued(req *CertificateRequest, csr *x509.CertificateRequest, chain, ca []byte, now time.Time, chains *pki.ChainMemo) []reconcile.Event {
	var p reconcile.Plan
	if err := verifyLeaf(csr, chain, chains); err != nil {
		fail(&p, req, ReasonFailed, ReasonFailed, "The issued certificate does not match the request: "+err.Error(), now)
		return p.Events
	}
	req.Status.Certificate, req.Status.CA = chain, ca
	setReady(req, meta.ConditionTrue, ReasonIssued, "Certificate fetched from issuer successfully", now)
	p.Eventf(meta.EventNormal, ReasonIssued, "Certificate fetched from issuer successfully")
	return p.Events
}

// fail marks req failed for good with reason on its Ready condition and an
// event of eventReason.
func fail(p *reconcile.Plan, req *CertificateRequest, reason, eventReason meta.Reason, msg string, now time.Time) {
	setReady(req, meta.ConditionFalse, reason, msg, now)
	req.Status.FailureTime = &now
	p.Eventf(meta.EventWarning, eventReason, msg)
}

func setReady(req *CertificateRequest, status meta.ConditionStatus, reason meta.Reason, msg string, now time.Time) {
	req.Status.Conditions.Set(meta.Condition{Type: meta.ConditionReady, Status: status, Reason: reason,
		Message: msg, LastTransitionTime: now})
}

// copyRequest returns a copy of r whose status can be changed without
// changing r.
func copyRequest(r *CertificateRequest) *CertificateRequest {
	c := *r
	c.Status.Conditions = append(meta.Conditions(nil), r.Status.Conditions...)
	return &c
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
