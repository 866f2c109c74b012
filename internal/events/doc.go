// Package events stores what happened to certflow's objects as Event
// objects in the Store, so that every process sharing the Store — another
// replica, the certflow command, a metrics scraper — sees the same history.
//
// Events are aggregated as Kubernetes' event correlator does for identical
// events: the same type, reason and message on the same object is one Event,
// named deterministically (Name), whose count grows. Two replicas recording
// it meet on that name and add to the count with compare-and-swap. Each
// object keeps at most Options.PerObject events, and events older than
// Options.MaxAge (an hour by default, kube-apiserver's --event-ttl) are
// deleted and never read. An Event is owned by the object it is about, so
// deleting the object deletes its events; that owner reference is also
// what finds an object's events (they carry no labels).
//
// A Writer takes events off the reconcile path, as client-go's recorder
// does: Record only merges the event into a bounded in-memory batch and
// Writer.Run writes the batches. What is lost, and counted (Dropped, the
// certflow_events_lost_total metric):
//   - a new distinct event recorded while Options.MaxPending (4096) wait,
//     as client-go drops an event when its queue of 1000 is full (half a
//     second of events at 2,000 issuances a second: DefaultMaxPending); a
//     repeat of a waiting event is never dropped, it adds to that event's
//     count;
//   - an event the Store does not take (a Store that fails loses events,
//     never a reconcile);
//   - what is still unwritten 2 seconds after Run's context ends.
//
// Run creates a batch's new Events with one store.CreateBatchOf call (a
// Store that is a store.BatchCreator takes them in one turn of its lock)
// and adds to those it knows stored one at a time (batch.go).
//
// Writer.Sync awaits the write of what was recorded before it, so a
// process reading the Store right after recording sees its own events.
// Without a reader waiting, a batch gathers for Options.Window (200 ms)
// before Run writes it, and Writer.Gone drops the waiting events of an
// object the caller deleted, recorded before it marked the Delete (they
// would be collected at once).
//
// Expiry reads nothing it does not delete: Run lists every Event once when
// it starts, then deletes each Event it wrote, or found then, when it ages
// out, by name and version (see expiries).
package events
