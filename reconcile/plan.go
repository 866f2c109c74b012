package reconcile

import (
	"context"
	"time"

	"github.com/certflow/certflow/meta"
)

// Plan is a decision's whole answer for one object: what to write, which
// children to create or delete, what to record, which single outside-world
// step to take, and when to look again. Decisions build plans from a
// snapshot without touching the Store, the network or the clock; Execute
// carries them out.
type Plan struct {
	// Object is the decided object. When Write is true it is written with
	// the ResourceVersion it was read at (compare-and-swap), so a decision
	// made on a stale snapshot is discarded, not applied.
	Object meta.Object
	Write  bool
	// Create lists children to create. Their names are deterministic, so one
	// that already exists (an earlier attempt's, another replica's) is kept,
	// and Outcome.Existed names it: it may differ from the one listed here.
	// When Write is false they are created only while Object is stored as
	// decided (a conflict otherwise), as Delete is: a child deleted after
	// the decision's snapshot was read is not brought back.
	Create []meta.Object
	// Delete lists objects to delete; a missing one is already gone.
	Delete []Deletion
	// Final marks an Object in a state it never leaves (a valid Order):
	// every version of it stands by the deletions decided on one, so
	// deletions that each name the version decided on (a changed child is
	// kept) are made without reading Object's version first. Creations
	// still are.
	Final bool
	// Events happened to Object; they are recorded after it is written.
	Events []Event
	// Effect is at most one step the CA, a DNS provider or a signer sees. It
	// runs after everything above is stored, so its intent is on record
	// before it starts and a crash part-way resumes from the Store.
	Effect *Effect
	// Next is when to look again; zero means only when something changes.
	// After an Effect the object is looked at again at once instead.
	Next time.Time
}

// Deletion names an object to delete. A non-empty ResourceVersion makes the
// delete conditional: an object changed since the decision is kept.
type Deletion struct {
	Ref             meta.Ref
	ResourceVersion string
}

// Event is something that happened to the plan's object.
type Event struct {
	Type    meta.EventType
	Reason  meta.Reason
	Message string
}

// Effect is a step with consequences outside the Store.
type Effect struct {
	// Name says what the step is, for errors and logs; never a secret.
	Name string
	// Claim, if set, is a Store lease taken before Do and released after its
	// outcome is stored, so replicas sharing the Store take the step once.
	// A claim held by another owner postpones the step by Claim.Busy.
	Claim *Claim
	// Do performs the step and records its outcome in the plan's Object
	// (which Execute then writes), so the next decision sees it. An error
	// records nothing and is retried with backoff.
	Do func(ctx context.Context) error
	// ForOwners marks a step the CA counts against the object's owners (an
	// ACME newOrder, a challenge accepted, a finalize): it is not taken when
	// Deps.Owners, asked once the claim is held and just before Do, finds
	// the owner chain broken; Execute returns that error (ErrOwnerGone).
	// Best effort: an owner deleted after that check still gets the step
	// (window = one Store read plus the start of the CA call).
	ForOwners bool
	// WritesFirst marks a step whose Do, before it changes anything or
	// sends anything out of the process, writes the plan's Object at the
	// version it was decided on: that write fails with store.ErrConflict
	// wherever the version check made once the claim is held would have,
	// so the claim skips that check (a Store read per step).
	WritesFirst bool
}

// Claim is a Store lease guarding one Effect.
type Claim struct {
	// Name identifies the step across replicas, e.g. "finalize:<order UID>".
	Name string
	// TTL bounds how long a dead owner's claim blocks the others; Do gets a
	// context that ends before it.
	TTL time.Duration
	// Busy is the pause before looking again when another owner holds the
	// claim.
	Busy time.Duration
}

// Wait returns a plan that writes nothing and looks again at next.
func Wait(obj meta.Object, next time.Time) Plan { return Plan{Object: obj, Next: next} }

// Eventf appends an event to the plan.
func (p *Plan) Eventf(typ meta.EventType, reason meta.Reason, msg string) {
	p.Events = append(p.Events, Event{Type: typ, Reason: reason, Message: msg})
}

// Idle reports whether p changes nothing: it writes, creates, deletes,
// records and performs nothing, and only says when to look again. A
// reconciler that decides again on what it just wrote and finds the plan
// idle has settled: its own write needs no further visit.
func (p Plan) Idle() bool {
	return !p.Write && len(p.Create) == 0 && len(p.Delete) == 0 && len(p.Events) == 0 && p.Effect == nil
}
