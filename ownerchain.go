package certflow

import (
	"context"
	"errors"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/store"
)

// maxOwnerHops bounds the walk up an owner chain (Challenge → Order →
// CertificateRequest → Certificate is three hops), so an owner cycle
// written by hand cannot hold a step forever.
const maxOwnerHops = 8

// ownersStand is reconcile.Deps.Owners, asked before each step the CA
// counts against a Certificate (newOrder, accept, finalize), under the
// step's claim. Owner checks before a reconcile trust the watch's word that
// an owner is present (ownerIndex.knownPresent), which another replica's
// deletion makes stale until the watch delivers it; here each owner up the
// chain is read from the Store itself (store.WithFreshRead), one metadata
// read per hop, so the step is decided on the Store as it is now. A hop
// deleted while its own children are not collected yet (the Certificate of
// a request) stops the step as its whole chain being gone would. The reads
// go through the visit's reader, so its later reads do not go back in
// time.
func (m *Manager) ownersStand(ctx context.Context, obj meta.Object) error {
	return m.chainStands(store.WithFreshRead(ctx), meta.RefOf(obj), obj.GetMeta().OwnerRefs, maxOwnerHops)
}

// chainStands reports whether child, listing owners, still has one of them
// standing with its own chain; an *reconcile.OwnerGoneError names an owner
// found gone when none does.
func (m *Manager) chainStands(ctx context.Context, child meta.Ref, owners []meta.Ref, hops int) error {
	if len(owners) == 0 || hops == 0 {
		return nil
	}
	var gone error
	for _, o := range owners {
		// Each owner is read (no trust in the watch's word): this decides a
		// step the CA counts.
		stands, up, err := m.ownerStands(ctx, child, o, ownerRead{reader: m.listed})
		switch {
		case errors.Is(err, store.ErrCorrupt):
			// Stored, if unreadable: it counts as existing, as for the
			// collector (ownersGone), and what owns it cannot be told.
			return nil
		case err != nil:
			return err
		case !stands:
			gone = &reconcile.OwnerGoneError{Owner: o, Of: child}
			continue
		}
		err = m.chainStands(ctx, o, up, hops-1)
		if !errors.Is(err, reconcile.ErrOwnerGone) {
			return err // stands, or cannot tell
		}
		gone = err
	}
	return gone
}

// collectGone acts on a step refused because an owner up ref's chain is
// gone (err, from ownersStand) as the watch will once it delivers that
// deletion: what the owner owned is collected now, ref among it or woken to
// finish (a Challenge cleans up first). It reports whether err was that.
func (m *Manager) collectGone(ctx context.Context, ref meta.Ref, err error) (bool, error) {
	gone, ok := errors.AsType[*reconcile.OwnerGoneError](err)
	if !ok {
		return false, nil
	}
	m.cfg.Logger.Info("not asking the CA for an object whose owner is gone", meta.LogKind, ref.Kind,
		meta.LogNamespace, ref.Namespace, meta.LogName, ref.Name, meta.LogOwner, gone.Owner.String())
	return true, m.collect(ctx, gone.Owner)
}
