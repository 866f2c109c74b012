package challenge

import "github.com/certflow/certflow/meta"

// orderView is what the order reconciler decides on about one of its
// Challenges: whether it ended, how and why, and whether it has also
// finished cleaning up (then a valid Order deletes it). Its steps before
// the end (presented, self-checked, accepted) leave the Order waiting as
// before, and one that never started is deleted whenever the Order looks.
type orderView struct {
	State  State
	Reason string
	Done   bool
}

// OrderView is the reconcile.OwnerView of a Challenge for its Order: a
// change that leaves it as it was cannot change the Order's decision, so
// the Manager does not wake the Order for it.
func OrderView(obj meta.Object) any {
	ch, ok := obj.(*Challenge)
	if !ok {
		return nil
	}
	if !ch.Status.State.IsFinal() {
		return orderView{}
	}
	return orderView{State: ch.Status.State, Reason: ch.Status.Reason, Done: SafeToDelete(ch)}
}
