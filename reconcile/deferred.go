package reconcile

import "time"

// Defer is what an Effect's Do returns (as is or wrapped) when the step
// ran and recorded its outcome in the plan's Object, but that outcome is
// not worth a write of its own: a passed self-check, or authorizations
// read, that the decision taken next on the Object stores anyway with its
// own write (the intent to accept, the Challenges to create), or a look at
// the CA that found nothing new. It is the one way to leave a step's
// outcome unwritten.
//
// Execute then does not store the Object: ExecuteOutcome reports
// Outcome.Deferred, with a nil error and Next as next (now when next is
// zero: decide again at once, as after a stored outcome). The reconciler
// decides again on the Object as Do left it, and that decision's write
// stores the outcome with it. Until then the outcome lives only in memory:
// a step may defer only when losing it (a crash, a conflict, a visit that
// ends first) costs no more than taking the step again.
//
// Defer is not a failure: it never reaches an Observer or a caller as an
// error. A claim lost while the step ran still is one (store.ErrLeaseLost).
func Defer(next time.Time) error { return &deferral{next: next} }

// deferral is Defer's answer, recognised by perform alone.
type deferral struct{ next time.Time }

func (d *deferral) Error() string {
	return "reconcile: outcome deferred to the next write"
}
