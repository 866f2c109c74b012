package meta

import "time"

// EventType is Normal or Warning, as Kubernetes events have it.
type EventType string

// Event types.
const (
	EventNormal  EventType = "Normal"
	EventWarning EventType = "Warning"
)

// Event is something that happened to an object (its involved object),
// stored as an object of kind Event so that every process sharing the Store
// sees the same history. Events are aggregated as Kubernetes aggregates
// them: the same type, reason and message on the same object is one Event
// whose Count grows, with FirstTime and Time telling the first and the last
// occurrence. Its JSON is Kubernetes' core/v1 Event.
type Event struct {
	TypeMeta   `json:",inline"`
	ObjectMeta ObjectMeta `json:"metadata"`
	// Object is the object the event happened to; it also owns the Event,
	// so deleting the object deletes its events.
	Object  Ref       `json:"involvedObject"`
	Type    EventType `json:"type"`
	Reason  Reason    `json:"reason"`
	Message string    `json:"message"`
	// Time is when it happened last; FirstTime when it happened first.
	Time      time.Time `json:"lastTimestamp"`
	FirstTime time.Time `json:"firstTimestamp,omitzero"`
	// Count is how often it happened; 0 reads as 1.
	Count int32 `json:"count,omitempty"`
	// ReportingInstance names the Manager that recorded it last.
	ReportingInstance string `json:"reportingInstance,omitempty"`
}

// GetKind returns KindEvent.
func (e *Event) GetKind() Kind { return KindEvent }

// GetMeta returns the event's metadata.
func (e *Event) GetMeta() *ObjectMeta { return &e.ObjectMeta }

// Recorder records events. Implementations are safe for concurrent use and
// never block for long: events are diagnostics, not state.
type Recorder interface {
	Event(obj Ref, typ EventType, reason Reason, message string)
}

// ObjectRecorder is a Recorder that can also be given the object an event
// happened to, as it stands once the change is stored, so it can describe
// the object (the attributes of a log line) without reading it again.
// Recorders need not implement it; RecordEvent finds out.
type ObjectRecorder interface {
	Recorder
	ObjectEvent(obj Object, typ EventType, reason Reason, message string)
}

// RecordEvent records an event that happened to obj with r, passing obj
// itself when r is an ObjectRecorder.
func RecordEvent(r Recorder, obj Object, typ EventType, reason Reason, message string) {
	if or, ok := r.(ObjectRecorder); ok {
		or.ObjectEvent(obj, typ, reason, message)
		return
	}
	r.Event(RefOf(obj), typ, reason, message)
}
