package reconcile

import (
	"sync/atomic"
	"time"

	"github.com/certflow/certflow/meta"
)

// Observer is told of each decision a reconciler is about to execute: the
// kind decided, the snapshot the decision saw and the plan it returned (its
// Effect already bound). The function it returns is told how the execution
// ended, with the plan's Object then holding what was stored. It exists so
// that a test can record a real run and replay its decisions
// (internal/replay); production code installs none.
type Observer func(kind meta.Kind, snapshot any, p *Plan) (done func(next time.Time, err error))

var observer atomic.Pointer[Observer]

// SetObserver installs o (nil removes it) for every reconciler of the
// process. It is meant for tests that record decisions.
func SetObserver(o Observer) {
	if o == nil {
		observer.Store(nil)
		return
	}
	observer.Store(&o)
}

// Observe tells the installed Observer about a decision and returns what
// to call once the plan was executed; without an Observer both do nothing.
func Observe(kind meta.Kind, snapshot any, p *Plan) func(next time.Time, err error) {
	o := observer.Load()
	if o == nil {
		return func(time.Time, error) {}
	}
	if done := (*o)(kind, snapshot, p); done != nil {
		return done
	}
	return func(time.Time, error) {}
}
