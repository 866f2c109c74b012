package reconcile

import (
	"time"

	"github.com/certflow/certflow/meta"
)

// Outcome is how ExecuteOutcome carried out a plan.
type Outcome struct {
	// Next is when to look at the object again (what Execute returns).
	Next time.Time
	// Existed lists the children of Plan.Create that were stored already
	// (store.ErrAlreadyExists): another replica, or an earlier visit that
	// ended before deciding on them, created them under the same name,
	// and they may differ from what the plan would have written.
	Existed []meta.Ref
	// Deferred is true when the plan's Effect ran and deferred its outcome
	// (Defer): the outcome is in Plan.Object, not in the Store, and the
	// Object's next write stores it.
	Deferred bool
}

// Stored reports whether the Store holds every child the plan created as
// the plan wrote it, so a decision on the plan's result may take
// Plan.Create for what is stored. When it does not, such a decision must
// read the Store: Requeue says when.
func (o Outcome) Stored() bool { return len(o.Existed) == 0 }

// Requeue is when to look at the object again when a child the plan meant
// to create was stored already: at once, so the next visit decides on
// what the Store holds (the watch brings no change for a child that was
// there before, and the object's own write may be taken as decided on).
// The Manager backs off an object that asks for that round after round.
func (o Outcome) Requeue(now time.Time) time.Time { return Earliest(o.Next, now) }
