package certflow

import (
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// listedEvents returns the Events among a full list's items, for the Event
// writer's sweep. Handed the whole list, the writer held every listed
// object's bytes until its sweep had decoded 500k Events: at 100k
// certificates that kept the 400 MB of CertificateRequests (which nothing
// else keeps past the resync) alive well into the start's visits.
func listedEvents(items []store.Raw) []store.Raw {
	n := 0
	for _, raw := range items {
		if raw.Ref.Kind == meta.KindEvent {
			n++
		}
	}
	events := make([]store.Raw, 0, n)
	for _, raw := range items {
		if raw.Ref.Kind == meta.KindEvent {
			events = append(events, raw)
		}
	}
	return events
}
