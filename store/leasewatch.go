package store

// LeaseWatcher is an optional ability of a Locker whose leases can be lost
// before they expire: an etcd lock is bound to its store's session, which
// ends when etcd stops hearing from the process (a partition), and etcd
// then frees the lock for another owner whatever the lease's Expires says.
//
// Lost returns a channel that is closed once lease can no longer be
// counted on. Its holder MUST stop the work the lease guards when it is
// closed: another owner may take the lock from then on. Lost MUST return a
// closed channel for a lease the store does not hold (released, lost
// already, or never acquired through it). A Locker without this ability
// loses leases only by expiry.
type LeaseWatcher interface {
	Lost(lease Lease) <-chan struct{}
}

// AsLeaseWatcher returns s's LeaseWatcher, looking through wrappers that
// expose the Store they wrap with an Unwrap() Store method (a Store timed
// for metrics).
func AsLeaseWatcher(s Store) (LeaseWatcher, bool) {
	for s != nil {
		if w, ok := s.(LeaseWatcher); ok {
			return w, true
		}
		u, ok := s.(interface{ Unwrap() Store })
		if !ok {
			return nil, false
		}
		s = u.Unwrap()
	}
	return nil, false
}
