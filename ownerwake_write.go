package certflow

import (
	"context"

	"github.com/certflow/certflow/meta"
)

// wakeAtWrite queues the owners of obj, just updated by a reconcile with
// view (its kind's OwnerView), when that shows them something they have
// not seen: from the writer's goroutine, as soon as the update returned,
// instead of once the watch delivers the change. On the issuance path the
// hops up the chain woken here (a Challenge ending → its Order; an Order's
// state, holdup or chain changing → its request) otherwise wait for the
// watch goroutine, which is busy with every other change (the Events of
// the step, the serving index). A request that becomes final (Ready,
// failed, denied, invalid) has no view (request.CertificateView): every
// change of it wakes, so its Certificate is woken here too once the watch
// has shown it the request (ownerWake.seeFinal), instead of waiting behind
// the watch for the last hop of an issuance. The
// watch event of an update woken here then finds the owners shown it
// (ownerWake.see, ownerWake.finalSeen) and wakes nobody again. Only a Store whose versions are
// numbers is woken for here (the watch tells old news from new by them);
// only the replica whose share the object is wakes its owners, as the
// watch does.
func (m *Manager) wakeAtWrite(ctx context.Context, obj meta.Object, view any) {
	om := obj.GetMeta()
	s := sightOf(view, om, om.ResourceVersion)
	ref := meta.RefOf(obj)
	if s.version == 0 || !m.mine(ctx, ref) {
		return
	}
	if view == nil && !m.ownerWake.seeFinal(ref, s) || view != nil && !m.ownerWake.see(ref, s, false, true) {
		return
	}
	woke := false
	for _, owner := range om.OwnerRefs {
		if _, ok := m.reconcilers[owner.Kind]; ok {
			woke = m.queue.AddNew(owner) || woke
		}
	}
	if woke && view == nil {
		// A final object (a request issued, failed or denied) is written
		// no more: its owner, woken for the last hop of an issuance, runs
		// at once. One still under way may be written again in this very
		// visit (a Challenge's verdict, then its clean up): its owner
		// started at the first write would be woken again by the second
		// while in flight, for a visit that finds nothing new.
		m.queue.handOff()
	}
}

// queueWritten queues obj, just created by a reconcile (a Certificate's
// request, a request's Order, an Order's Challenge), when a reconciler of
// its kind runs here: at once, instead of once the watch delivers the
// change. The watch's own AddChange of that version then queues nothing
// more. Its owners are indexed first, as the watch would have before
// queueing it: the visit's owner check reads them there, and an owner
// deleted meanwhile must stop it before it reaches the CA. Only when this
// Manager reconciles everything (no ShareWork): whose share an object is
// may depend on what the watch has not told yet. What Apply writes is left
// to the watch: a Certificate's visit also relies on the Secret-name index
// the watch fills, to find an older Certificate naming the same Secret.
func (m *Manager) queueWritten(obj meta.Object) {
	if m.members != nil {
		return
	}
	ref := meta.RefOf(obj)
	if _, ok := m.reconcilers[ref.Kind]; !ok {
		return
	}
	om := obj.GetMeta()
	if len(om.OwnerRefs) > 0 {
		m.owners.set(ref, om.OwnerRefs, 0)
	}
	if m.queue.AddWritten(ref, om.ResourceVersion) {
		m.queue.handOff()
	}
}
