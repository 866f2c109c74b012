package certflow

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// heldDeletion is a Store whose watch holds back the deletion of one
// object, and every change after it, until released: the Manager sees
// that deletion late, as a busy watch does.
type heldDeletion struct {
	store.Store
	mu      sync.Mutex
	ref     meta.Ref
	release chan struct{}
}

func (s *heldDeletion) Unwrap() store.Store { return s.Store }

func (s *heldDeletion) hold(ref meta.Ref) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ref, s.release = ref, make(chan struct{})
}

func (s *heldDeletion) held(ev store.WatchEvent) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.release == nil || ev.Type != store.Deleted || ev.Ref != s.ref {
		return nil
	}
	return s.release
}

func (s *heldDeletion) Watch(ctx context.Context, from uint64) (<-chan store.WatchEvent, error) {
	in, err := s.Store.Watch(ctx, from)
	if err != nil {
		return nil, err
	}
	out := make(chan store.WatchEvent)
	go func() {
		defer close(out)
		for ev := range in {
			if ch := s.held(ev); ch != nil {
				select {
				case <-ch:
				case <-ctx.Done():
					return
				}
			}
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// An object deleted and made again under its name before the Manager sees
// the deletion: the events recorded for the new one meanwhile are its own
// and are written, as those recorded after the deletion is seen are. Only
// events recorded before the deletion are the deleted object's.
func TestGC_ANamesakesEventsRecordedBeforeTheDeletionIsSeenAreWritten(t *testing.T) {
	gate := &heldDeletion{}
	h := startManagerHooked(t, func(c *Config) { gate.Store = c.Store; c.Store = gate },
		func(m *Manager) { m.events.writer.SetWindow(time.Hour) }) // nothing is written unasked
	x := &secret.Secret{
		TypeMeta:   meta.TypeMeta{APIVersion: meta.KindSecret.APIVersion(), Kind: meta.KindSecret},
		ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "again"},
		Type:       secret.TypeOpaque,
	}
	ownerWithEvents(h, "up", 0) // the Manager watches
	require.NoError(t, h.store.Create(h.ctx, x))
	ref := meta.RefOf(x)
	rev := h.store.Revision()
	h.waitFor("the watch observed the object", func() bool { return h.m.queue.watched.Load() >= rev })

	gate.hold(ref)
	require.NoError(t, h.store.Delete(h.ctx, ref, ""))
	again := &secret.Secret{TypeMeta: x.TypeMeta, ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "again"},
		Type: secret.TypeOpaque}
	require.NoError(t, h.store.Create(h.ctx, again))
	// A visit that read the new object records an event about it; the
	// Manager has not seen the deletion yet.
	h.m.events.Event(ref, meta.EventNormal, "Fresh", "about the new object")
	close(gate.release)
	rev = h.store.Revision()
	h.waitFor("the watch observed the deletion and the new object", func() bool { return h.m.queue.watched.Load() >= rev })

	evs, err := h.m.Events(h.ctx, ref)
	require.NoError(t, err)
	var reasons []meta.Reason
	for _, e := range evs {
		reasons = append(reasons, e.Reason)
	}
	require.Contains(t, reasons, meta.Reason("Fresh"), "the new object's event was dropped with the old one")
	require.Zero(t, h.m.events.writer.Dropped())
}
