package reconcile

import (
	"time"

	"github.com/certflow/certflow/meta"
)

// Observer is told of each decision a reconciler is about to execute: the
// kind decided, the snapshot the decision saw and the plan it returned (its
// Effect already bound). The function it returns is told how the execution
// ended, with the plan's Object then holding what was stored. It exists so
// that a test can record a real run and replay its decisions
// (internal/replay), or audit what a Manager decided; it belongs to the
// Deps of one Manager, never to the process.
type Observer func(kind meta.Kind, snapshot any, p *Plan) (done func(next time.Time, err error))

// Observe tells d's Observer about a decision and returns what to call once
// the plan was executed; without an Observer both do nothing.
func (d Deps) Observe(kind meta.Kind, snapshot any, p *Plan) func(next time.Time, err error) {
	if d.Observer == nil {
		return func(time.Time, error) {}
	}
	if done := d.Observer(kind, snapshot, p); done != nil {
		return done
	}
	return func(time.Time, error) {}
}
