package certflow

// Backlog is the work a Manager has taken on and not finished.
type Backlog struct {
	// Queued objects wait for a reconcile; InFlight are being reconciled.
	Queued, InFlight int
	// Events are recorded but not yet stored.
	Events int
}

// Idle says whether nothing is queued, reconciling or waiting to be stored.
func (b Backlog) Idle() bool { return b.Queued == 0 && b.InFlight == 0 && b.Events == 0 }

// Backlog reports the Manager's unfinished work at this moment, so a
// program can tell a Manager that has caught up from one that is merely
// slow (a readiness probe, a measurement like cmd/scale). A timer that is
// not due yet is not backlog.
func (m *Manager) Backlog() Backlog {
	queued, inFlight := m.queue.depth()
	return Backlog{Queued: queued, InFlight: inFlight, Events: m.events.writer.Pending()}
}
