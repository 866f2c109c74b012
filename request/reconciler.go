package request

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
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
	// CSRs, if set, parses each request's CSR once for all its visits and
	// its Order's, and checks its signature once (never for a CSR the
	// Manager's certificate reconciler made). If nil, each use parses it.
	CSRs *pki.CSRMemo
	// Chains, if set, parses each issued chain once for this reconciler
	// and the certificate reconciler sharing it. If nil, each use parses it.
	Chains *pki.ChainMemo
	// Issuers, if set, reads the issuer of each visit while the Store
	// holds the version read before (issuer.Memo); what it returns is
	// read only. If nil, each visit decodes it.
	Issuers *issuer.Memo
}

// Reconciler approves and signs CertificateRequests: it loads a Snapshot,
// decides a plan (decide, pure) and has reconcile.Execute apply it; asking
// the Approver and signing are the plan's effects.
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
	s, err := r.load(ctx, ref)
	if err != nil || s.Request == nil {
		return time.Time{}, err
	}
	d := decide(s, r.opts.IssuerRetry)
	p := d.plan
	req := p.Object.(*CertificateRequest)
	// What an effect's closure sets lives in fx, made only with an effect:
	// captured one by one, d, the events and the retry time each moved to
	// the heap at every visit, with or without an effect.
	var fx *effectOutcome
	iss, csr := s.Issuer, d.csr
	switch d.effect {
	case effectNone:
	case effectApprove:
		o := &effectOutcome{}
		fx = o
		p.Effect = &reconcile.Effect{Name: "approve", Do: func(ctx context.Context) error {
			a, err := r.opts.Approver.Approve(ctx, req)
			if err != nil {
				return fmt.Errorf("request: approve %s: %w", ref, err)
			}
			now := r.deps.Clock.Now()
			o.later = approved(req, a, now)
			// An approved request for a SelfSigned or CA issuer is signed in
			// the same visit: the decision on the approved request asks for
			// nothing but the signature.
			then := decide(Snapshot{Request: req, Issuer: iss, Now: now, csrs: r.opts.CSRs, chains: r.opts.Chains}, r.opts.IssuerRetry)
			if orderFirst(then) {
				// An approved ACME request's next decision creates its
				// Order: the status that decision sets is stored with the
				// approval, one write instead of two, and the Order is
				// created by the decision on what was stored (settle).
				req.Status = then.plan.Object.(*CertificateRequest).Status
				return nil
			}
			if then.effect != effectSign || then.plan.Write {
				return nil
			}
			events, at, err := r.sign(ctx, req, iss, then.csr)
			o.later, o.retryAt = append(o.later, events...), at
			return err
		}}
	case effectSign:
		o := &effectOutcome{}
		fx = o
		p.Effect = &reconcile.Effect{Name: "sign", Do: func(ctx context.Context) error {
			events, at, err := r.sign(ctx, req, iss, csr)
			o.later, o.retryAt = events, at
			return err
		}}
	}
	done := r.deps.Observe(meta.KindCertificateRequest, s, &p)
	out, err := reconcile.ExecuteOutcome(ctx, r.deps, p)
	next := out.Next
	done(next, err)
	if err != nil {
		return time.Time{}, err
	}
	if !out.Stored() {
		// The Order was there already: settle would decide on the plan's.
		return out.Requeue(r.deps.Clock.Now()), nil
	}
	var retryAt time.Time
	if fx != nil {
		for _, e := range fx.later {
			meta.RecordEvent(r.deps.Events, req, e.Type, e.Reason, e.Message)
		}
		retryAt = fx.retryAt
	}
	if !retryAt.IsZero() {
		next = retryAt
	}
	// An effect's outcome (approval, a signature) is written with it.
	if (p.Write || p.Effect != nil) && len(p.Delete) == 0 && retryAt.IsZero() {
		s.Request = req
		return r.settle(ctx, s, p.Create, next)
	}
	return next, nil
}

// orderFirst reports whether d only creates the request's Order and sets
// the status that goes with it.
func orderFirst(d decision) bool {
	p := d.plan
	if d.effect != effectNone || !p.Write || len(p.Create) != 1 || len(p.Delete) > 0 {
		return false
	}
	_, ok := p.Create[0].(*order.Order)
	return ok
}

// settleRounds bounds the plans settle carries out after a visit's own:
// approved, Order created, its first state mirrored, then idle.
const settleRounds = 3

// settle decides again on s, whose request the visit has just written,
// with created the children the visit's plan created: a request mirrors
// each step of its Order in its Ready condition, and the decision on what
// it wrote is made here rather than by another visit that its own write
// would queue (the Manager queues no visit for a version a decision has
// seen). A plan that only writes the request or creates its Order (an
// approved request's next steps) is carried out here too, and decided on
// again; one that asks for an effect (approval, a signature) is left to
// that visit, which reads everything again.
func (r *Reconciler) settle(ctx context.Context, s Snapshot, created []meta.Object, next time.Time) (time.Time, error) {
	for range settleRounds {
		for _, obj := range created {
			if o, ok := obj.(*order.Order); ok {
				s.Order = o
			}
		}
		s.Now = r.deps.Clock.Now()
		d := decide(s, r.opts.IssuerRetry)
		if d.effect != effectNone || len(d.plan.Delete) > 0 {
			return next, nil
		}
		done := r.deps.Observe(meta.KindCertificateRequest, s, &d.plan)
		out, err := reconcile.ExecuteOutcome(ctx, r.deps, d.plan)
		done(out.Next, err)
		if err == nil && d.plan.Idle() {
			// Decided on everything the visit wrote: the look "at once"
			// an effect asks for afterwards is this decision, and only
			// its own next look remains (a timer visit at once would
			// load and decide the same again).
			return out.Next, nil
		}
		next = reconcile.Earliest(next, out.Next)
		if err != nil {
			return next, err
		}
		if !out.Stored() {
			return out.Requeue(r.deps.Clock.Now()), nil
		}
		s.Request, s.csr, created = d.plan.Object.(*CertificateRequest), d.csr, d.plan.Create
	}
	return next, nil
}

// load reads the snapshot: the request (nil if gone or final), its issuer
// and, for an ACME issuer, its Order.
func (r *Reconciler) load(ctx context.Context, ref meta.Ref) (Snapshot, error) {
	s := Snapshot{Now: r.deps.Clock.Now(), csrs: r.opts.CSRs, chains: r.opts.Chains}
	req := &CertificateRequest{}
	if err := r.deps.Store.Get(ctx, ref, req); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return s, nil
		}
		return s, err
	}
	if IsFinal(req) {
		return s, nil
	}
	s.Request = req
	iss, err := r.opts.Issuers.Get(ctx, r.deps.Store, req.Spec.IssuerRef.Resolve(req.ObjectMeta.Namespace))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return s, nil
	case err != nil:
		return s, err
	}
	s.Issuer = iss
	if iss.IssuerSpec().Type() != issuer.TypeACME || !req.Status.Conditions.IsTrue(meta.ConditionApproved) {
		return s, nil
	}
	csr, err := r.opts.CSRs.Parse(req.Spec.Request)
	if err != nil {
		return s, nil // decide fails the request
	}
	s.csr = csr
	spec, err := orderSpec(req, csr, iss)
	if err != nil {
		return s, nil // decide fails the request
	}
	o := &order.Order{}
	s.orderName = order.Name(req.ObjectMeta.Name, req.ObjectMeta.UID, spec)
	oref := meta.Ref{Kind: meta.KindOrder, Namespace: req.ObjectMeta.Namespace, Name: s.orderName}
	switch err := r.deps.Store.Get(ctx, oref, o); {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return s, err
	default:
		s.Order = o
	}
	return s, nil
}

// sign is the signing effect: it asks iss to sign req and records the
// outcome on req (issued checks the leaf first). retryAt is set when the
// issuer cannot sign yet.
func (r *Reconciler) sign(ctx context.Context, req *CertificateRequest, iss issuer.Object, csr *x509.CertificateRequest) (events []reconcile.Event, retryAt time.Time, err error) {
	out, err := r.opts.Signer.Sign(ctx, iss, signInput(req, csr))
	now := r.deps.Clock.Now()
	switch {
	case errors.Is(err, reconcile.ErrTerminal):
		var p reconcile.Plan
		fail(&p, req, ReasonFailed, ReasonFailed, "Signing failed: "+err.Error(), now)
		return p.Events, time.Time{}, nil
	case errors.Is(err, issuer.ErrNotReady):
		setReady(req, meta.ConditionFalse, ReasonPending, "Issuer cannot sign yet: "+err.Error(), now)
		return nil, now.Add(r.opts.IssuerRetry), nil
	case err != nil:
		return nil, time.Time{}, err
	}
	return issued(req, csr, out.Chain, out.CA, now, r.opts.Chains), time.Time{}, nil
}

func signInput(req *CertificateRequest, csr *x509.CertificateRequest) issuer.SignInput {
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
	return in
}

// effectOutcome is what an effect of Reconcile adds to its visit: events
// to record once its outcome is stored, and when to look again.
type effectOutcome struct {
	later   []reconcile.Event
	retryAt time.Time
}
