package certflow

// Backlog is the work a Manager has taken on and not finished.
type Backlog struct {
	// Queued objects wait for a reconcile; InFlight are being reconciled.
	Queued, InFlight int
	// Events are recorded but not yet stored.
	Events int
	// Listing is set while Run lists the Store (as it starts, or again
	// after its watch lost changes) and has not yet queued the visits the
	// list calls for: until then Queued does not show the work it owes.
	Listing bool
}

// Idle says whether nothing is queued, reconciling or waiting to be stored,
// and no list is under way that may queue more.
func (b Backlog) Idle() bool { return b.Queued == 0 && b.InFlight == 0 && b.Events == 0 && !b.Listing }

// Backlog reports the Manager's unfinished work at this moment, so a
// program can tell a Manager that has caught up from one that is merely
// slow (a readiness probe, a measurement like cmd/scale). A timer that is
// not due yet is not backlog.
func (m *Manager) Backlog() Backlog {
	// Read before the queue: a list that ends in between has queued its
	// visits by then, so it is seen as Listing or as Queued, never as neither.
	listing := m.listing.Load() > 0
	queued, inFlight := m.queue.depth()
	return Backlog{Queued: queued, InFlight: inFlight, Events: m.events.writer.Pending(), Listing: listing}
}
