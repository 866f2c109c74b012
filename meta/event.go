package meta

import "time"

// EventType is Normal or Warning, as Kubernetes events have it.
type EventType string

// Event types.
const (
	EventNormal  EventType = "Normal"
	EventWarning EventType = "Warning"
)

// Event is one thing that happened to an object, for people reading Status.
type Event struct {
	Object  Ref       `json:"object"`
	Type    EventType `json:"type"`
	Reason  Reason    `json:"reason"`
	Message string    `json:"message"`
	Time    time.Time `json:"time"`
}

// Recorder records events. Implementations are safe for concurrent use and
// never block for long: events are diagnostics, not state.
type Recorder interface {
	Event(obj Ref, typ EventType, reason Reason, message string)
}
