package certflow

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// eventCreates counts the Events created, by the object they are about.
type eventCreates struct {
	store.Store
	mu    sync.Mutex
	about map[meta.Ref]int
}

func (s *eventCreates) Unwrap() store.Store { return s.Store }

func (s *eventCreates) Create(ctx context.Context, obj meta.Object) error {
	if e, ok := obj.(*meta.Event); ok {
		s.mu.Lock()
		if s.about == nil {
			s.about = map[meta.Ref]int{}
		}
		s.about[e.Object]++
		s.mu.Unlock()
	}
	return s.Store.Create(ctx, obj)
}

func (s *eventCreates) of(ref meta.Ref) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.about[ref]
}

// An object's events still waiting to be written when the Manager deletes
// it are never written: they would be collected at once (a finished
// Challenge's, deleted by its Order tens of milliseconds after its last
// event, cost a Create, a Delete and two watch changes each). Nothing is
// counted lost, and the other objects' events are written.
func TestGC_ADeletedObjectsWaitingEventsAreNeverWritten(t *testing.T) {
	creates := &eventCreates{}
	h := startManagerHooked(t, func(c *Config) { creates.Store = c.Store; c.Store = creates },
		func(m *Manager) { m.events.writer.SetWindow(time.Hour) }) // nothing is written unasked
	gone := &secret.Secret{
		TypeMeta:   meta.TypeMeta{APIVersion: meta.KindSecret.APIVersion(), Kind: meta.KindSecret},
		ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "web-1-1"},
		Type:       secret.TypeOpaque,
	}
	ownerWithEvents(h, "up", 0) // the Manager watches
	require.NoError(t, h.store.Create(h.ctx, gone))
	goneRef := meta.RefOf(gone)
	// Once its writer took the start's list (the list wakes the writer,
	// which then writes what waits).
	rev := h.store.Revision()
	h.waitFor("the watch observed the object", func() bool { return h.m.queue.watched.Load() >= rev })
	select {
	case <-h.m.events.writer.Quiet():
	case <-h.ctx.Done():
		t.Fatal("the events writer never settled")
	}
	kept := meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: "web"}
	h.m.events.Event(goneRef, meta.EventNormal, "Presented", "presented")
	h.m.events.Event(kept, meta.EventNormal, "Issued", "issued")
	h.m.events.Event(goneRef, meta.EventNormal, "CleanedUp", "cleaned up")

	// As an Order deletes its Challenge: through the reconcilers' Store.
	require.NoError(t, h.m.deps.Store.Delete(h.ctx, goneRef, ""))
	rev = h.store.Revision()
	h.waitFor("the watch observed the deletion", func() bool { return h.m.queue.watched.Load() >= rev })
	require.NoError(t, h.m.events.writer.Sync(h.ctx))
	assert.Zero(t, creates.of(goneRef), "the deleted object's waiting events were written")
	assert.Equal(t, 1, creates.of(kept))
	assert.Zero(t, h.m.events.writer.Dropped())
}
