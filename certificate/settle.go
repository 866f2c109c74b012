package certificate

import (
	"context"
	"slices"
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
)

// settle decides again on what the visit has just written — the
// Certificate as stored now and the children its plan created or deleted
// — without reading it back. The Manager queues no visit for a version a
// decision has seen, so an idle decision here is the visit the write would
// otherwise have queued: after the Certificate starts an issuance (its key
// and request created) and after it records a new revision, that visit
// only decided to wait. A decision that is not idle is left to that visit,
// which reads everything again.
func (r *Reconciler) settle(ctx context.Context, s *Snapshot, p *reconcile.Plan, next time.Time) (time.Time, error) {
	written, ok := p.Object.(*Certificate)
	if !ok || !p.Write || p.Effect != nil {
		return next, nil
	}
	after := settled(s, written, p)
	after.Now = r.deps.Clock.Now()
	plan := decide(after)
	if !plan.Idle() {
		return next, nil
	}
	done := r.deps.Observe(meta.KindCertificate, after, &plan)
	then, err := reconcile.Execute(ctx, r.deps, plan)
	done(then, err)
	if err == nil {
		r.rest(after)
	}
	return reconcile.Earliest(next, then), err
}

// secretOnly reports whether p only stored the Certificate's Secret (the
// issued certificate and its key), leaving the Certificate as it was.
func secretOnly(s *Snapshot, p *reconcile.Plan) bool {
	if p.Write || p.Effect != nil || len(p.Delete) > 0 || len(p.Create) != 1 {
		return false
	}
	sec, ok := p.Create[0].(*secret.Secret)
	return ok && sec.ObjectMeta.Name == s.Cert.Spec.SecretName && sec.ObjectMeta.Labels[LabelNextPrivateKey] != "true"
}

// afterSecret decides again, in the same visit, on the Secret p has just
// stored (a Secret created as planned, so the plan's copy is what the
// Store holds): the decision that follows records the issued revision,
// which another visit would otherwise load everything again to make.
// Only a plan that writes the Certificate and deletes what the issuance
// leaves is carried out here (it writes with the version this visit read,
// so a Certificate changed meanwhile fails with a conflict and is loaded
// again); anything else (a key to generate, a request to sign, an effect)
// is left to that visit, at next.
func (r *Reconciler) afterSecret(ctx context.Context, s *Snapshot, p *reconcile.Plan, next time.Time) (time.Time, error) {
	after := settled(s, s.Cert, p)
	// What load reads because of the Secret, read as load would now.
	if !needSiblings(after.Cert, after.Secret) {
		after.Siblings = nil
	}
	if err := r.loadARI(ctx, after); err != nil {
		return next, nil // the visit at next loads it all again
	}
	after.Now = r.deps.Clock.Now()
	plan := decide(after)
	if !plan.Write || plan.Effect != nil || len(plan.Create) > 0 {
		return next, nil
	}
	if _, ok := plan.Object.(*Certificate); !ok {
		return next, nil
	}
	done := r.deps.Observe(meta.KindCertificate, after, &plan)
	out, err := reconcile.ExecuteOutcome(ctx, r.deps, plan)
	done(out.Next, err)
	if err != nil {
		return out.Next, err
	}
	// The look "at once" the Secret's plan asked for is this decision:
	// only this plan's own next look remains.
	return r.settle(ctx, after, &plan, out.Next)
}

// settled is s after p was executed, with written the Certificate as p
// stored it: a new revision makes the next request the current one (and
// the requests p deleted beyond the history limit gone), p's new key and
// request are the next ones, and what p deleted is gone.
func settled(s *Snapshot, written *Certificate, p *reconcile.Plan) *Snapshot {
	after := *s
	after.Cert = written
	if revision(written) != revision(s.Cert) {
		after.CurrentRequest, after.NextRequest, after.Stale = nil, nil, nil
		if revision(written) == revision(s.Cert)+1 {
			after.CurrentRequest = s.NextRequest
		}
	}
	for _, obj := range p.Create {
		switch o := obj.(type) {
		case *secret.Secret:
			switch {
			case o.ObjectMeta.Labels[LabelNextPrivateKey] == "true":
				after.NextKey = o
			case o.ObjectMeta.Name == written.Spec.SecretName:
				after.Secret = o
			}
		case *request.CertificateRequest:
			if o.ObjectMeta.Name == requestRef(written, revision(written)+1).Name {
				after.NextRequest = o
			}
		}
	}
	for _, del := range p.Delete {
		switch {
		case after.NextKey != nil && del.Ref == meta.RefOf(after.NextKey):
			after.NextKey = nil
		case after.NextRequest != nil && del.Ref == meta.RefOf(after.NextRequest):
			after.NextRequest = nil
		case after.CurrentRequest != nil && del.Ref == meta.RefOf(after.CurrentRequest):
			after.CurrentRequest = nil
		}
		after.Stale = slices.DeleteFunc(slices.Clone(after.Stale), func(ref meta.Ref) bool { return ref == del.Ref })
	}
	return &after
}
