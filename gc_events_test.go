package certflow

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/events"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// eventCalls records the Manager's Gets and Deletes of Events, with the
// version each Delete was conditional on.
type eventCalls struct {
	store.Store
	mu      sync.Mutex
	gets    map[meta.Ref]int
	deletes []eventDelete
}

type eventDelete struct {
	ref meta.Ref
	rv  string
	err error
}

func (s *eventCalls) Unwrap() store.Store { return s.Store }

func (s *eventCalls) Get(ctx context.Context, ref meta.Ref, into meta.Object) error {
	if ref.Kind == meta.KindEvent {
		s.mu.Lock()
		if s.gets == nil {
			s.gets = map[meta.Ref]int{}
		}
		s.gets[ref]++
		s.mu.Unlock()
	}
	return s.Store.Get(ctx, ref, into)
}

func (s *eventCalls) Delete(ctx context.Context, ref meta.Ref, rv string) error {
	err := s.Store.Delete(ctx, ref, rv)
	if ref.Kind == meta.KindEvent {
		s.mu.Lock()
		s.deletes = append(s.deletes, eventDelete{ref: ref, rv: rv, err: err})
		s.mu.Unlock()
	}
	return err
}

// take returns what was recorded since the last take.
func (s *eventCalls) take() (map[meta.Ref]int, []eventDelete) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gets, deletes := s.gets, s.deletes
	s.gets, s.deletes = nil, nil
	return gets, deletes
}

// startEventCounting starts a Manager whose Store records its Event calls.
func startEventCounting(t *testing.T) (*harness, *eventCalls) {
	calls := &eventCalls{}
	h := startManager(t, func(c *Config) { calls.Store = c.Store; c.Store = calls })
	return h, calls
}

// ownerWithEvents applies a Certificate (its issuer missing: it waits) and
// records n events on it ("step 0", …), and returns it once the Manager's
// watch indexed every Event it owns, with the versions of those n.
func ownerWithEvents(h *harness, name string, n int) (meta.Ref, map[meta.Ref]string) {
	h.t.Helper()
	crt := testrig.Certificate("default", name, "missing", name+".example.test")
	require.NoError(h.t, h.m.Apply(h.ctx, crt))
	ref := meta.RefOf(crt)
	waitFor(h, ref, "reconciled", func(c *certificate.Certificate) bool { return len(c.Status.Conditions) > 0 })
	for i := range n {
		h.m.events.Event(ref, meta.EventNormal, "Step", fmt.Sprint("step ", i))
	}
	require.NoError(h.t, h.m.events.writer.Sync(h.ctx))
	stored := eventsOf(h, ref)
	steps := map[meta.Ref]string{}
	for i := range n {
		step := events.Ref(ref, meta.EventNormal, "Step", fmt.Sprint("step ", i), "")
		require.Contains(h.t, stored, step)
		steps[step] = stored[step]
	}
	h.waitFor("the Manager indexed its events", func() bool {
		children, _ := h.m.owners.childrenOf(ref)
		indexed := 0
		for _, c := range children {
			if _, ok := stored[c]; ok {
				indexed++
			}
		}
		return indexed == len(stored)
	})
	return ref, steps
}

// eventsOf returns the stored Events owned by ref, with their versions.
func eventsOf(h *harness, ref meta.Ref) map[meta.Ref]string {
	h.t.Helper()
	res, err := h.store.List(h.ctx, store.ListOptions{Kind: meta.KindEvent, Namespace: ref.Namespace, Owner: &ref})
	require.NoError(h.t, err)
	out := map[meta.Ref]string{}
	for _, raw := range res.Items {
		out[raw.Ref] = raw.ResourceVersion
	}
	return out
}

// deleteAndAwaitCollection deletes ref from the Store (as an Order deletes
// its finished Challenges) and waits until the Manager collected what it
// owned: the watch delivers changes in order and the Manager observes them
// one at a time, so once a later owner's events are gone, ref's collection
// is over too.
func deleteAndAwaitCollection(h *harness, ref meta.Ref) {
	h.t.Helper()
	marker, _ := ownerWithEvents(h, ref.Name+"-after", 1)
	require.NoError(h.t, h.store.Delete(h.ctx, ref, ""))
	require.NoError(h.t, h.store.Delete(h.ctx, marker, ""))
	h.waitUntil("the later owner's events are collected", func() bool { return len(eventsOf(h, marker)) == 0 })
}

// A deleted object's Events are deleted at the version its Manager's
// writer stored them at, each with one conditional Delete and no read:
// collecting a finished Challenge's four Events cost four Gets before.
func TestGC_ADeletedObjectsEventsAreDeletedUnread(t *testing.T) {
	h, calls := startEventCounting(t)
	owner, stored := ownerWithEvents(h, "web", 4)
	calls.take()
	deleteAndAwaitCollection(h, owner)
	assert.Empty(t, eventsOf(h, owner))
	gets, deletes := calls.take()
	for ref := range stored {
		assert.Zero(t, gets[ref], "%s was read before its delete", ref.Name)
		assert.Contains(t, deletes, eventDelete{ref: ref, rv: stored[ref]}, "%s deleted at its stored version", ref.Name)
	}
}

// An Event counted again by another replica after this Manager's writer
// stored it is deleted all the same, never blindly: the delete at the
// version the writer knew conflicts, and the Event is read and deleted at
// the version it has now.
func TestGC_AnEventCountedElsewhereIsReadThenDeleted(t *testing.T) {
	h, calls := startEventCounting(t)
	owner, stored := ownerWithEvents(h, "web", 2)
	replica := events.NewWriter(events.Options{Store: h.store, Clock: h.clock, Instance: "replica"})
	require.NoError(t, replica.Write(h.ctx, owner, meta.EventNormal, "Step", "step 0"))
	counted := events.Ref(owner, meta.EventNormal, "Step", "step 0", "")
	now := eventsOf(h, owner)[counted]
	require.NotEqual(t, stored[counted], now, "counted again: a newer version")
	calls.take()

	deleteAndAwaitCollection(h, owner)
	assert.Empty(t, eventsOf(h, owner))
	gets, deletes := calls.take()
	assert.Equal(t, 1, gets[counted], "read once, after its delete conflicted")
	var of []eventDelete
	for _, d := range deletes {
		if d.ref == counted {
			of = append(of, d)
		}
	}
	require.Len(t, of, 2, "%+v", of)
	assert.Equal(t, stored[counted], of[0].rv)
	assert.ErrorIs(t, of[0].err, store.ErrConflict)
	assert.Equal(t, eventDelete{ref: counted, rv: now}, of[1])
}

// An Event rewritten after the writer stored it is judged as it is now,
// not as the writer left it: here it names a second owner, which exists,
// so it is kept when its first owner is deleted.
func TestGC_AnEventRewrittenMeanwhileIsJudgedAsStored(t *testing.T) {
	h, calls := startEventCounting(t)
	owner, stored := ownerWithEvents(h, "web", 2)
	other, _ := ownerWithEvents(h, "other", 0)
	rewritten := events.Ref(owner, meta.EventNormal, "Step", "step 1", "")
	var ev meta.Event
	require.NoError(t, h.store.Get(h.ctx, rewritten, &ev))
	ev.ObjectMeta.OwnerRefs = append(ev.ObjectMeta.OwnerRefs, other)
	require.NoError(t, h.store.Update(h.ctx, &ev))
	calls.take()

	deleteAndAwaitCollection(h, owner)
	left := eventsOf(h, owner)
	assert.Equal(t, map[meta.Ref]string{rewritten: ev.ObjectMeta.ResourceVersion}, left, "only the rewritten Event is kept")
	_, deletes := calls.take()
	for _, d := range deletes {
		assert.NotEmpty(t, d.rv, "%s deleted unconditionally", d.ref.Name)
		if d.ref == rewritten {
			assert.Equal(t, stored[rewritten], d.rv)
			assert.ErrorIs(t, d.err, store.ErrConflict)
		}
	}
}

// An Event stored after its object was deleted is collected at the
// version the watch delivered it at, unread.
func TestGC_AnEventStoredAfterItsObjectWasDeletedIsDeletedUnread(t *testing.T) {
	h, calls := startEventCounting(t)
	owner, _ := ownerWithEvents(h, "gone", 0)
	require.NoError(t, h.m.Delete(h.ctx, owner))
	h.waitFor("the deletion is seen", func() bool { return h.m.owners.wasDeleted(owner) })
	calls.take()

	late := events.Ref(owner, meta.EventNormal, "Late", "recorded before the deletion, stored after it", "")
	h.m.events.Event(owner, meta.EventNormal, "Late", "recorded before the deletion, stored after it")
	var rv string
	gets := map[meta.Ref]int{}
	h.waitFor("the late event is stored and collected", func() bool {
		got, deletes := calls.take()
		for ref, n := range got {
			gets[ref] += n
		}
		for _, d := range deletes {
			if d.ref == late && d.err == nil {
				rv = d.rv
				return true
			}
		}
		return false
	})
	assert.NotEmpty(t, rv, "deleted conditionally")
	assert.Zero(t, gets[late], "read before its delete")
}

// An Event another process made a second object own (one that exists),
// and that this Manager's writer then counted again, is kept when its
// first owner is deleted, though the writer knows its current version:
// the owners are those the watch delivered with that version when it came
// before the deletion, and the Event is read when it came after (the watch
// has not delivered it yet).
func TestGC_AnEventReownedThenCountedAgainIsKept(t *testing.T) {
	for _, beforeDeletion := range []bool{true, false} {
		t.Run(fmt.Sprint("before the deletion: ", beforeDeletion), func(t *testing.T) {
			ctx := context.Background()
			calls := &eventCalls{Store: memory.New()}
			m, err := New(Config{Store: calls})
			require.NoError(t, err)
			m.sweepOwned(ctx, nil, nil, nil, 0) // as Run starts: the owner index is complete
			owner := testrig.Certificate("default", "web", "ca", "web.example.test")
			other := testrig.Certificate("default", "other", "ca", "other.example.test")
			require.NoError(t, calls.Create(ctx, owner))
			require.NoError(t, calls.Create(ctx, other))
			oref := meta.RefOf(owner)
			ref := events.Ref(oref, meta.EventNormal, "Step", "step", "")
			// watched delivers the Event's change as the watch would.
			watched := func(typ store.EventType) {
				var ev meta.Event
				require.NoError(t, calls.Get(ctx, ref, &ev))
				rev, err := strconv.ParseUint(ev.ObjectMeta.ResourceVersion, 10, 64)
				require.NoError(t, err)
				m.observe(ctx, store.WatchEvent{Type: typ, Ref: ref, Revision: rev, Meta: ev.ObjectMeta})
			}
			require.NoError(t, m.events.writer.Write(ctx, oref, meta.EventNormal, "Step", "step"))
			watched(store.Added)
			reownAndCount := func() {
				var ev meta.Event
				require.NoError(t, calls.Get(ctx, ref, &ev))
				ev.ObjectMeta.OwnerRefs = append(ev.ObjectMeta.OwnerRefs, meta.RefOf(other))
				require.NoError(t, calls.Update(ctx, &ev))
				require.NoError(t, m.events.writer.Write(ctx, oref, meta.EventNormal, "Step", "step"))
			}
			if beforeDeletion {
				reownAndCount()
				watched(store.Modified)
			}
			require.NoError(t, calls.Delete(ctx, oref, ""))
			res, err := calls.List(ctx, store.ListOptions{Kind: "none"})
			require.NoError(t, err)
			deletedAt := res.Revision
			if !beforeDeletion {
				reownAndCount() // not delivered yet
			}
			rv, ok := m.events.writer.Version(ref)
			require.True(t, ok)
			calls.take()

			m.observe(ctx, store.WatchEvent{Type: store.Deleted, Ref: oref, Revision: deletedAt, Meta: owner.ObjectMeta})
			_, deletes := calls.take()
			assert.Empty(t, deletes)
			var kept meta.Event
			require.NoError(t, calls.Get(ctx, ref, &kept), "owned by an object that exists: kept")
			assert.Equal(t, rv, kept.ObjectMeta.ResourceVersion)
		})
	}
}
