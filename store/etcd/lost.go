package etcd

import (
	"sync"

	"github.com/certflow/certflow/store"
)

var _ store.LeaseWatcher = (*Store)(nil)

// Lost returns a channel closed once lease can no longer be counted on:
// the session lease its lock is bound to is lost (no keepalive answer for
// three quarters of SessionTTL: etcd may free the lock for another owner
// any moment) or ended (Close). For a lease this store does not hold, the
// channel is closed already.
func (s *Store) Lost(lease store.Lease) <-chan struct{} {
	if sess := s.held.session(lease); sess != nil {
		return sess.done
	}
	lost := make(chan struct{})
	close(lost)
	return lost
}

// heldLocks remembers which session each lock this store holds is bound
// to, for Lost.
type heldLocks struct {
	mu sync.Mutex
	by map[heldKey]*session
}

type heldKey struct{ name, owner string }

func (h *heldLocks) bind(l store.Lease, sess *session) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.by == nil {
		h.by = map[heldKey]*session{}
	}
	h.by[heldKey{l.Name, l.Owner}] = sess
}

func (h *heldLocks) unbind(l store.Lease) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.by, heldKey{l.Name, l.Owner})
}

func (h *heldLocks) session(l store.Lease) *session {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.by[heldKey{l.Name, l.Owner}]
}
