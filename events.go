package certflow

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/certflow/certflow/internal/events"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// Event reasons the Manager itself records.
const (
	// ReasonReconcilePanicked: the object's reconciler panicked; the
	// reconcile failed and is retried with backoff.
	ReasonReconcilePanicked meta.Reason = "ReconcilePanicked"
)

// eventRecorder is where every event of every reconciler arrives: it logs the
// event as one structured line (logging.go) and hands it to the writer
// that stores it as an Event object off the reconcile path, so a Manager
// that cannot store an event still reconciles.
type eventRecorder struct {
	log    *slog.Logger
	writer *events.Writer
	// owners tells each object's owners, so a line about a Challenge also
	// names its Order, CertificateRequest and Certificate.
	owners *ownerIndex
}

var _ meta.ObjectRecorder = (*eventRecorder)(nil)

// Event records an event known only by the reference of its object.
func (r *eventRecorder) Event(obj meta.Ref, typ meta.EventType, reason meta.Reason, message string) {
	r.record(nil, obj, typ, reason, message)
}

// ObjectEvent records an event together with its object as now stored.
func (r *eventRecorder) ObjectEvent(obj meta.Object, typ meta.EventType, reason meta.Reason, message string) {
	r.record(obj, meta.RefOf(obj), typ, reason, message)
}

func (r *eventRecorder) record(obj meta.Object, ref meta.Ref, typ meta.EventType, reason meta.Reason, message string) {
	r.logEvent(context.Background(), obj, ref, typ, reason, message)
	r.writer.Record(ref, typ, reason, message)
}

// recordNow records an event that a caller of the Manager's API caused
// (not a reconciler): it is logged and stored before the call returns,
// since the caller may be a tool whose Manager never runs the writer. An
// event the Store does not take is lost, as any other.
func (r *eventRecorder) recordNow(ctx context.Context, obj meta.Object, typ meta.EventType, reason meta.Reason, message string) {
	ref := meta.RefOf(obj)
	r.logEvent(ctx, obj, ref, typ, reason, message)
	_ = r.writer.Write(ctx, ref, typ, reason, message)
}

// logEvent is the one log line of an event (see logging.go).
func (r *eventRecorder) logEvent(ctx context.Context, obj meta.Object, ref meta.Ref, typ meta.EventType, reason meta.Reason, message string) {
	level := slog.LevelInfo
	if typ == meta.EventWarning {
		level = slog.LevelWarn
	}
	if r.log.Enabled(ctx, level) {
		r.log.LogAttrs(ctx, level, message, r.attrs(obj, ref, reason)...)
	}
}

// flushAfterStop writes what reconcilers recorded after the events
// writer's goroutine made its last flush (a reconcile ending as Run's
// context ends), for at most syncEventsTimeout; what is left is lost and
// counted.
func (r *eventRecorder) flushAfterStop() {
	ctx, cancel := context.WithTimeout(context.Background(), syncEventsTimeout)
	defer cancel()
	_ = r.writer.Sync(ctx) // Run has returned: Sync writes them itself
}

// syncEventsTimeout bounds how long reading events waits for this
// Manager's own to be stored: a Store too slow for that still gets read.
const syncEventsTimeout = 2 * time.Second

// Events returns the stored events of the object named ref that are not
// older than Config.EventMaxAge, least recent first, as recorded by every
// Manager sharing the Store. Events this Manager recorded before the call
// are stored first (events are written off the reconcile path), so they
// are among them. It reads the Store only, so it works without Run.
func (m *Manager) Events(ctx context.Context, ref meta.Ref) ([]meta.Event, error) {
	sctx, cancel := context.WithTimeout(ctx, syncEventsTimeout)
	_ = m.events.writer.Sync(sctx) // on timeout, what is stored is all there is
	cancel()
	return events.For(ctx, m.cfg.Store, ref, m.cfg.ClusterResourceNamespace, m.cfg.EventMaxAge, m.cfg.Clock.Now())
}

// observeEvent keeps what the Manager knows of a stored Event: its owner
// (the object it is about), so that deleting the object deletes it. An
// Event wakes no reconciler, no waiter and no serving work.
func (m *Manager) observeEvent(ctx context.Context, ev store.WatchEvent) {
	if ev.Type == store.Deleted {
		m.owners.forget(ev.Ref)
		m.events.writer.Deleted(ev.Ref, ev.Meta.ResourceVersion) // nothing left to expire
		return
	}
	if ev.Type != store.Added {
		// A count went up: the owner is the same, unless something else
		// rewrote the Event, and then the index follows (collectKnownEvent
		// trusts it).
		m.owners.set(ev.Ref, ev.Meta.OwnerRefs, 0)
		return
	}
	m.owners.set(ev.Ref, ev.Meta.OwnerRefs, ev.Revision)
	// An Event stored after its object was deleted (events are written
	// off the reconcile path) is collected now. Only an object this
	// Manager saw deleted is read again: the others exist, or are
	// collected at the next resync.
	if !slices.ContainsFunc(ev.Meta.OwnerRefs, m.owners.wasDeleted) {
		return
	}
	// The watch told its version and owners: delete it at that version
	// unread, or, if it changed since, judge it as stored.
	done, err := m.collectEventAt(ctx, ev.Ref, ev.Meta.ResourceVersion, ev.Meta.OwnerRefs)
	if !done {
		_, err = m.checkOwners(ctx, ev.Ref)
	}
	if err != nil {
		m.cfg.Logger.Warn("cannot collect an event whose object is gone", meta.LogKind, ev.Ref.Kind,
			meta.LogNamespace, ev.Ref.Namespace, meta.LogName, ev.Ref.Name, meta.LogError, err)
	}
}
