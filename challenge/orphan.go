package challenge

import (
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/store"
)

// Orphaned is the rule for a Challenge whose Order is gone (a
// reconcile.OrphanRule): one whose solver may still hold a record or token
// cleans up first and is collected once it has; any other goes at once.
func Orphaned(raw store.Raw) reconcile.Orphan {
	ch := &Challenge{}
	if err := raw.Decode(ch); err != nil {
		return reconcile.OrphanKeep
	}
	if SafeToDelete(ch) {
		return reconcile.OrphanCollect
	}
	return reconcile.OrphanFinish
}
