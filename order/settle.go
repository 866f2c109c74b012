package order

import (
	"context"
	"slices"
	"time"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
)

// settle decides again on what a visit's plan p (no ACME call) has just
// written — the pending Order as stored now, with the Challenges p created
// or deleted — without reading it back. The Manager queues no visit for a
// version a decision has seen, so an idle decision here is the visit the
// write would otherwise have queued: after an Order records its
// authorizations and creates their Challenges, that visit read the Order,
// its issuer and its Challenges to decide to wait for them. A decision
// that is not idle is left to that visit.
func (r *Reconciler) settle(ctx context.Context, s *snapshot, p reconcile.Plan, next time.Time) (time.Time, error) {
	written, ok := p.Object.(*Order)
	// Only what load would read the same way: a pending order at the CA,
	// of an ACME issuer, whose Challenges were read.
	if !ok || !p.Write || p.Effect != nil || s.ACME == nil || written.Status.URL == "" ||
		(written.Status.State != StatePending && written.Status.State != StateUnknown) {
		return next, nil
	}
	after := *s
	after.Order = *written
	after.AccountHold = time.Time{}
	after.Challenges = slices.Clone(s.Challenges)
	for _, obj := range p.Create {
		if ch, ok := obj.(*challenge.Challenge); ok {
			after.Challenges = append(after.Challenges, ch)
		}
	}
	for _, del := range p.Delete {
		after.Challenges = slices.DeleteFunc(after.Challenges, func(ch *challenge.Challenge) bool { return meta.RefOf(ch) == del.Ref })
	}
	after.Now = r.deps.Clock.Now()
	d := r.policy().decide(after)
	if d.step != stepNone || !d.plan.Idle() {
		return next, nil
	}
	done := r.deps.Observe(meta.KindOrder, &after, &d.plan)
	then, err := reconcile.Execute(ctx, r.deps, d.plan)
	done(then, err)
	return reconcile.Earliest(next, then), err
}
