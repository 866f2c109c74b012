package certflow

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/events"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

func reasonsOf(evs []meta.Event) []meta.Reason {
	var out []meta.Reason
	for _, e := range evs {
		out = append(out, e.Reason)
	}
	return out
}

// Events are stored: a second Manager on the same Store, never run (a tool),
// sees the history the running one recorded, in Events and in Status.
func TestEvents_AnotherProcessSeesTheHistory(t *testing.T) {
	h := startManager(t, nil)
	h.setupCA("default", "ca")
	crt := testrig.Certificate("default", "web", "ca", "web.example.test")
	require.NoError(t, h.m.Apply(h.ctx, crt))
	ref := meta.RefOf(crt)
	waitFor(h, ref, "certificate Ready", testrig.CertReady)

	tool, err := New(Config{Store: h.store, Clock: h.clock})
	require.NoError(t, err)
	var evs []meta.Event
	h.waitUntil("the issuance's events are stored", func() bool {
		evs, err = tool.Events(h.ctx, ref)
		require.NoError(t, err)
		// One fake instant: the order among them is the name's.
		return assert.ElementsMatch(noT{}, reasonsOf(evs),
			[]meta.Reason{certificate.ReasonKeyGenerated, certificate.ReasonRequested, certificate.ReasonIssued})
	})
	for _, e := range evs {
		assert.Equal(t, ref, e.Object)
		assert.Equal(t, int32(1), e.Count)
		assert.Equal(t, h.clock.Now(), e.Time)
	}
	tree, err := tool.Status(h.ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, evs, tree.Events)
	assert.Contains(t, tree.String(), "The certificate has been successfully issued")
}

// A reconciler's event is written off its path, yet the Manager that
// recorded it shows it at once: Events (and Status) first await its
// writer, with no polling.
func TestEvents_ReadRightAfterRecordingShowsThem(t *testing.T) {
	h := startManager(t, nil)
	crt := testrig.Certificate("default", "web", "ca", "web.example.test") // an issuer that is not there: it waits
	require.NoError(t, h.m.Apply(h.ctx, crt))
	ref := meta.RefOf(crt)
	for i := range 15 {
		msg := fmt.Sprint("step ", i)
		h.m.events.Event(ref, meta.EventNormal, "Step", msg)
		evs, err := h.m.Events(h.ctx, ref)
		require.NoError(t, err)
		assert.True(t, slices.ContainsFunc(evs, func(e meta.Event) bool { return e.Message == msg }),
			"the event just recorded, %q, is not among %v", msg, evs)
	}
}

// A Manager starting on a Store that holds events reads them from its own
// list of the Store: its events writer does not list every Event again (on
// a file store of 100,000 certificates, ~440,000 files read twice).
func TestEvents_AStartingManagerListsEventsOnce(t *testing.T) {
	h := startManager(t, nil)
	h.setupCA("default", "ca")
	crt := testrig.Certificate("default", "web", "ca", "web.example.test")
	require.NoError(t, h.m.Apply(h.ctx, crt))
	waitFor(h, meta.RefOf(crt), "certificate Ready", testrig.CertReady)
	require.NoError(t, h.m.events.writer.Sync(h.ctx))

	counted := &eventLists{Store: h.store}
	again, err := New(Config{Store: counted, Clock: h.clock})
	require.NoError(t, err)
	// What Run does first: list the Store, then start the events writer.
	_, err = again.resync(h.ctx)
	require.NoError(t, err)
	testrig.Run(t, h.ctx, 10*time.Second, func(ctx context.Context) error { again.events.writer.Run(ctx); return nil })
	select {
	case <-again.events.writer.Quiet(): // swept what it was handed
	case <-h.ctx.Done():
		t.Fatal("the restarted Manager's events writer never settled")
	}
	assert.Zero(t, counted.n.Load(), "Lists of every Event")
	assert.False(t, again.events.writer.NextSweep().IsZero(), "the stored events are tracked to age out")
}

// eventLists counts the Lists of every Event.
type eventLists struct {
	store.Store
	n atomic.Int64
}

func (s *eventLists) List(ctx context.Context, opts store.ListOptions) (store.ListResult, error) {
	if opts.Kind == meta.KindEvent && opts.Owner == nil && len(opts.Labels) == 0 {
		s.n.Add(1)
	}
	return s.Store.List(ctx, opts)
}

// An event a reconcile records as the Manager stops, after the events
// writer's goroutine made its last flush, is still stored before Run
// returns.
func TestEvents_RecordedWhileStoppingAreStored(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st := memory.New()
	m, err := New(Config{Store: st, Workers: 1})
	require.NoError(t, err)
	started := make(chan struct{})
	m.reconcilers[meta.KindCertificate] = reconcileFunc(func(rctx context.Context, ref meta.Ref) (time.Time, error) {
		close(started)
		<-rctx.Done()
		// Nothing signals the writer's goroutine ending: look, within a bound.
		for m.events.writer.Running() && ctx.Err() == nil {
			runtime.Gosched()
		}
		m.events.Event(ref, meta.EventNormal, "Stopping", "recorded as the Manager stops")
		return time.Time{}, nil
	})
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- m.Run(rctx) }()
	crt := testrig.Certificate("default", "web", "ca", "web.example.test")
	require.NoError(t, m.Apply(ctx, crt))
	<-started
	stop()
	require.ErrorIs(t, <-done, context.Canceled)
	require.NoError(t, ctx.Err(), "the writer never stopped")

	evs, err := events.For(ctx, st, meta.RefOf(crt), "", time.Hour, time.Now())
	require.NoError(t, err)
	assert.True(t, slices.ContainsFunc(evs, func(e meta.Event) bool { return e.Reason == "Stopping" }),
		"the last event is stored: %v", evs)
}

// noT lets assert's comparisons be asked without failing a test.
type noT struct{}

func (noT) Errorf(string, ...any) {}

// refuseEvents is a Store that refuses every write of an Event.
type refuseEvents struct{ store.Store }

var errEventsRefused = errors.New("test: events refused")

func (s refuseEvents) Create(ctx context.Context, obj meta.Object) error {
	if obj.GetKind() == meta.KindEvent {
		return errEventsRefused
	}
	return s.Store.Create(ctx, obj)
}

func (s refuseEvents) Update(ctx context.Context, obj meta.Object) error {
	if obj.GetKind() == meta.KindEvent {
		return errEventsRefused
	}
	return s.Store.Update(ctx, obj)
}

func TestEvents_AManagerThatCannotStoreEventsStillIssues(t *testing.T) {
	h := startManager(t, func(c *Config) { c.Store = refuseEvents{c.Store} })
	h.setupCA("default", "ca")
	crt := testrig.Certificate("default", "web", "ca", "web.example.test")
	require.NoError(t, h.m.Apply(h.ctx, crt))
	waitFor(h, meta.RefOf(crt), "certificate Ready", testrig.CertReady)
	// Polled: a refused write changes nothing in the Store to wake an await.
	h.waitFor("the refused events are counted", func() bool { return h.m.events.writer.Dropped() >= 3 })
	evs, err := h.m.Events(h.ctx, meta.RefOf(crt))
	require.NoError(t, err)
	assert.Empty(t, evs)
}

// Events the Store does not take are counted in the metrics, and so is
// what waits to be stored.
func TestEvents_LostOnesAreCountedInTheMetrics(t *testing.T) {
	h := startManager(t, func(c *Config) { c.Store = refuseEvents{c.Store} })
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(h.m.Metrics()))
	ref := testrig.CertRef("default", "web")
	h.m.events.Event(ref, meta.EventNormal, "A", "a")
	h.m.events.Event(ref, meta.EventNormal, "B", "b")
	require.NoError(t, h.m.events.writer.Sync(h.ctx))
	typ, lost := samples(t, reg, "certflow_events_lost_total")
	assert.Equal(t, dto.MetricType_COUNTER, typ)
	assert.Equal(t, map[string]float64{"{}": 2}, lost)
	_, pending := samples(t, reg, "certflow_events_pending")
	assert.Equal(t, map[string]float64{"{}": 0}, pending)
}

// An Event is not work: storing one wakes no reconciler of the object it is
// about (which would record again, and so on), unlike an object that
// object owns.
func TestEvents_StoringOneWakesNoReconciler(t *testing.T) {
	m, err := New(Config{Store: memory.New()})
	require.NoError(t, err)
	ctx := context.Background()
	cert := testrig.CertRef("default", "web")
	for _, tc := range []struct {
		kind   meta.Kind
		queued int
	}{{meta.KindEvent, 0}, {meta.KindSecret, 1}} {
		ref := meta.Ref{Kind: tc.kind, Namespace: "default", Name: "web-owned"}
		m.observe(ctx, store.WatchEvent{Type: store.Modified, Ref: ref, Revision: 2,
			Meta: meta.ObjectMeta{Namespace: "default", Name: ref.Name, OwnerRefs: []meta.Ref{cert}}})
		assert.Equal(t, tc.queued, m.queue.Len(), "a change of an owned %s", tc.kind)
	}
}

// Deleting an object deletes its events: they are owned by it.
func TestEvents_DeletedWithTheirObject(t *testing.T) {
	h := startManager(t, nil)
	h.setupCA("default", "ca")
	crt := testrig.Certificate("default", "web", "ca", "web.example.test")
	require.NoError(t, h.m.Apply(h.ctx, crt))
	ref := meta.RefOf(crt)
	waitFor(h, ref, "certificate Ready", testrig.CertReady)
	h.waitUntil("the Issued event is stored", func() bool {
		evs, err := h.m.Events(h.ctx, ref)
		require.NoError(t, err)
		return len(evs) == 3
	})
	require.NoError(t, h.m.Delete(h.ctx, ref))
	h.waitUntil("the events are collected", func() bool {
		res, err := h.store.List(h.ctx, store.ListOptions{Kind: meta.KindEvent, Namespace: "default", Owner: &ref})
		require.NoError(t, err)
		return len(res.Items) == 0
	})
}

// An event written after its object was deleted (the writer is behind the
// reconcilers) is collected as soon as it is stored.
func TestEvents_AnEventStoredAfterItsObjectWasDeletedIsCollected(t *testing.T) {
	h := startManager(t, nil)
	crt := testrig.Certificate("default", "gone", "ca", "gone.example.test")
	require.NoError(t, h.m.Apply(h.ctx, crt))
	ref := meta.RefOf(crt)
	// Reconciled, so the Manager's watch runs and sees the deletion.
	waitFor(h, ref, "reconciled", func(c *certificate.Certificate) bool { return len(c.Status.Conditions) > 0 })
	require.NoError(t, h.m.Delete(h.ctx, ref))
	h.waitFor("the deletion is seen", func() bool { return h.m.owners.wasDeleted(ref) })

	res, err := h.store.List(h.ctx, store.ListOptions{Kind: "none"})
	require.NoError(t, err)
	changes, err := h.store.Watch(h.ctx, res.Revision)
	require.NoError(t, err)
	h.m.events.Event(ref, meta.EventNormal, "Late", "recorded before the deletion, stored after it")
	var added meta.Ref
	for ch := range changes {
		require.NoError(t, ch.Err)
		if ch.Ref.Kind != meta.KindEvent {
			continue
		}
		if ch.Type == store.Added {
			added = ch.Ref
		}
		if ch.Type == store.Deleted && ch.Ref == added {
			return // stored, then collected
		}
	}
	t.Fatal("the watch ended before the late event was collected")
}
