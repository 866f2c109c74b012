// Package events stores what happened to certflow's objects as Event
// objects in the Store, so that every process sharing the Store — another
// replica, the certflow command, a metrics scraper — sees the same history.
//
// Events are aggregated as Kubernetes' event correlator does for identical
// events: the same type, reason and message on the same object is one Event,
// named deterministically (Name), whose count grows. Two replicas recording
// it meet on that name and add to the count with compare-and-swap. Each
// object keeps at most Options.PerObject events, and events older than
// Options.MaxAge are deleted and never read. An Event is owned by the object
// it is about, so deleting the object deletes its events.
//
// A Writer takes events off the reconcile path: Record only merges the
// event into a bounded in-memory batch (dropping, and counting, what does
// not fit), and Writer.Run writes the batches. A Store that cannot take an
// event loses the event, never a reconcile.
package events
