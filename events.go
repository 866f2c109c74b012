package certflow

import (
	"sync"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/meta"
)

// Event reasons the Manager itself records.
const (
	// ReasonReconcilePanicked: the object's reconciler panicked; the
	// reconcile failed and is retried with backoff.
	ReasonReconcilePanicked meta.Reason = "ReconcilePanicked"
)

// eventLog keeps the most recent events of each object in memory for Status.
// Events are diagnostics: they are not persisted, so another process's
// Status shows only the events its own Manager recorded.
type eventLog struct {
	mu        sync.Mutex
	clock     clock.Clock
	perObject int
	byRef     map[meta.Ref][]meta.Event
}

var _ meta.Recorder = (*eventLog)(nil)

func newEventLog(clk clock.Clock, perObject int) *eventLog {
	return &eventLog{clock: clk, perObject: perObject, byRef: map[meta.Ref][]meta.Event{}}
}

// Event records one event, dropping the oldest beyond the per-object bound.
func (l *eventLog) Event(obj meta.Ref, typ meta.EventType, reason meta.Reason, message string) {
	e := meta.Event{Object: obj, Type: typ, Reason: reason, Message: message, Time: l.clock.Now()}
	l.mu.Lock()
	defer l.mu.Unlock()
	evs := append(l.byRef[obj], e)
	if len(evs) > l.perObject {
		evs = append(evs[:0:0], evs[len(evs)-l.perObject:]...)
	}
	l.byRef[obj] = evs
}

// For returns a copy of obj's recent events, oldest first.
func (l *eventLog) For(obj meta.Ref) []meta.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]meta.Event(nil), l.byRef[obj]...)
}

// Forget drops obj's events once it is deleted.
func (l *eventLog) Forget(obj meta.Ref) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.byRef, obj)
}
