package reconcile

import "github.com/certflow/certflow/meta"

// OwnerView returns what the owner's reconciler decides on about obj, an
// owned object of the kind the rule is for: a comparable value (compared
// with ==), or nil when it cannot tell. The Manager wakes an owner when its
// child changes only if the child's view (or its owners, generation or
// deletion) changed since the last change it saw; nil always wakes. The
// resource package whose reconciler reads the child contributes the rule,
// so the Manager applies it without knowing any kind. A kind without a
// rule wakes its owners on every change.
type OwnerView func(obj meta.Object) any
