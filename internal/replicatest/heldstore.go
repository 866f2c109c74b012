package replicatest

import (
	"context"
	"sync"
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// heldStore is a controlled replica's Store (Control): its watch can be
// held by the parent, and the claims matching the Control wait until the
// parent opens them. Everything else passes through.
type heldStore struct {
	store.Store
	rep    *reporter
	claims []ClaimPattern

	mu       sync.Mutex
	watch    chan struct{} // while not nil, no watch event is delivered; closed on release
	open     chan struct{} // closed when the parent opens the claims
	opened   bool
	reported map[string]bool // claim names reported held
}

var (
	_ store.Store        = (*heldStore)(nil)
	_ store.ObjectLister = (*heldStore)(nil)
	_ store.Scanner      = (*heldStore)(nil)
	_ store.MetaReader   = (*heldStore)(nil)
)

func newHeldStore(st store.Store, ctl *Control, rep *reporter) *heldStore {
	return &heldStore{Store: st, rep: rep, claims: ctl.HoldClaims, open: make(chan struct{}), reported: map[string]bool{}}
}

// Unwrap returns the wrapped Store, for its optional abilities (an etcd
// store's LeaseWatcher).
func (s *heldStore) Unwrap() store.Store { return s.Store }

// ListObjects lists through the wrapped Store's ObjectLister, if any.
func (s *heldStore) ListObjects(ctx context.Context, opts store.ListOptions, newObject func() meta.Object) ([]meta.Object, error) {
	return store.ListObjectsOf(ctx, s.Store, opts, newObject)
}

// Scan scans through the wrapped Store's Scanner, if any.
func (s *heldStore) Scan(ctx context.Context, opts store.ListOptions, fn func(store.Raw) error) (uint64, error) {
	return store.ScanOf(ctx, s.Store, opts, fn)
}

// GetMeta reads through the wrapped Store's MetaReader, if any.
func (s *heldStore) GetMeta(ctx context.Context, ref meta.Ref, newObject func() meta.Object) (meta.ObjectMeta, error) {
	return store.GetMetaOf(ctx, s.Store, ref, newObject)
}

// Acquire holds a claim matching the Control until the claims are open,
// reporting the first arrival of each name.
func (s *heldStore) Acquire(ctx context.Context, name, owner string, ttl time.Duration) (store.Lease, error) {
	if open, held := s.held(name); held {
		select {
		case <-open:
		case <-ctx.Done():
			return store.Lease{}, ctx.Err()
		}
	}
	return s.Store.Acquire(ctx, name, owner, ttl)
}

// held reports whether the claim name must wait, and for what; the first
// time it must, it is reported to the parent.
func (s *heldStore) held(name string) (<-chan struct{}, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opened || !s.matches(name) {
		return nil, false
	}
	if !s.reported[name] {
		s.reported[name] = true
		s.rep.send(Report{Type: ReportClaimHeld, Claim: name})
	}
	return s.open, true
}

func (s *heldStore) matches(name string) bool {
	for _, p := range s.claims {
		if p.Match(name) {
			return true
		}
	}
	return false
}

// Watch delivers the wrapped Store's changes, in order, each only while
// the watch is not held: a change read from the wrapped Store while it is
// held is reported (ReportWatchHeld) and kept, with every change after it,
// until the release.
func (s *heldStore) Watch(ctx context.Context, from uint64) (<-chan store.WatchEvent, error) {
	in, err := s.Store.Watch(ctx, from)
	if err != nil {
		return nil, err
	}
	out := make(chan store.WatchEvent)
	go s.forward(ctx, in, out)
	return out, nil
}

// forward passes in on to out as Watch says, and closes out once in is
// closed and everything read from it delivered, or ctx ends.
func (s *heldStore) forward(ctx context.Context, in <-chan store.WatchEvent, out chan<- store.WatchEvent) {
	defer close(out)
	var queue []store.WatchEvent
	for in != nil || len(queue) > 0 {
		held := s.heldWatch()
		// Nothing is offered while held: a change read after the hold
		// began is delivered only after the release.
		var send chan<- store.WatchEvent
		var next store.WatchEvent
		if held == nil && len(queue) > 0 {
			send, next = out, queue[0]
		}
		select {
		case ev, ok := <-in:
			if !ok {
				in = nil
				continue
			}
			queue = append(queue, ev)
			// Read again: the hold may have begun while this waited.
			if s.heldWatch() != nil {
				s.rep.send(Report{Type: ReportWatchHeld, Ref: ev.Ref, Change: string(ev.Type)})
			}
		case send <- next:
			queue = queue[1:]
		case <-held:
		case <-ctx.Done():
			return
		}
	}
}

func (s *heldStore) heldWatch() chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.watch
}

// apply carries out op; it returns when op is in effect.
func (s *heldStore) apply(op controlOp) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch op {
	case opHoldWatch:
		if s.watch == nil {
			s.watch = make(chan struct{})
		}
	case opReleaseWatch:
		if s.watch != nil {
			close(s.watch)
			s.watch = nil
		}
	case opOpenClaims:
		if !s.opened {
			s.opened = true
			close(s.open)
		}
	default:
		return "unknown command " + string(op)
	}
	return ""
}
