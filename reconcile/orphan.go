package reconcile

import "github.com/certflow/certflow/store"

// Orphan says what becomes of an object whose owners are all gone.
type Orphan int

const (
	// OrphanCollect deletes it, and in turn what it owns.
	OrphanCollect Orphan = iota
	// OrphanFinish lets its reconciler finish first (remove what it
	// presented to the outside world); it is collected once it has.
	OrphanFinish
	// OrphanKeep keeps it: it outlives its owner.
	OrphanKeep
)

// OrphanRule decides what becomes of raw, an object whose owners are all
// gone. The resource package that creates owned objects of a kind
// contributes the rule for that kind, so the Manager's collector applies it
// without knowing any kind; a kind without a rule is collected at once. A
// rule reads only raw and returns OrphanKeep for what it cannot decode.
type OrphanRule func(raw store.Raw) Orphan
