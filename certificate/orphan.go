package certificate

import (
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// OrphanedSecret is the rule for a Secret whose owning Certificate is gone
// (a reconcile.OrphanRule): the TLS Secret outlives it, as cert-manager keeps
// it, while the temporary Secret holding its next private key goes.
func OrphanedSecret(raw store.Raw) reconcile.Orphan {
	s := &secret.Secret{}
	if err := raw.Decode(s); err != nil {
		return reconcile.OrphanKeep
	}
	if s.ObjectMeta.Labels[LabelNextPrivateKey] == "true" {
		return reconcile.OrphanCollect
	}
	return reconcile.OrphanKeep
}
