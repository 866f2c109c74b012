package events

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

var web = meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: "web"}

func newWriter(t *testing.T, st store.Store, clk clock.Clock, mod func(*Options)) *Writer {
	t.Helper()
	o := Options{Store: st, Clock: clk, ClusterNamespace: "certflow", Instance: "a"}
	if mod != nil {
		mod(&o)
	}
	return NewWriter(o)
}

func stored(t *testing.T, st store.Reader, obj meta.Ref, clk clock.Clock) []meta.Event {
	t.Helper()
	evs, err := For(context.Background(), st, obj, "certflow", DefaultMaxAge, clk.Now())
	require.NoError(t, err)
	return evs
}

// An Event's name is the same in every release: replicas running
// different ones aggregate into one Event, and a Manager started on a new
// release finds the Events the old one wrote. These were derived by the
// first release that named Events so.
func TestRef_NamesAreStable(t *testing.T) {
	assert.Equal(t, "web.83827ad8ff8954c5",
		Ref(web, meta.EventNormal, "Issued", "The certificate has been successfully issued", "certflow").Name)
	assert.Equal(t, meta.Ref{Kind: meta.KindEvent, Namespace: "certflow", Name: "le.a7dd6c0e81315faf"},
		Ref(meta.Ref{Kind: meta.KindClusterIssuer, Name: "le"}, meta.EventWarning, "ErrRegisterACMEAccount", "", "certflow"))
	long := Ref(meta.Ref{Kind: meta.KindChallenge, Namespace: "ns", Name: strings.Repeat("x", 253)},
		meta.EventNormal, "Presented", strings.Repeat("é", 300), "certflow")
	assert.Equal(t, strings.Repeat("x", 236)+".032a38fdc8d0425d", long.Name, "a key longer than the stack buffer")
}

func TestRef_DeterministicBoundedAndPerKey(t *testing.T) {
	a := Ref(web, meta.EventNormal, "Issued", "done", "certflow")
	assert.Equal(t, a, Ref(web, meta.EventNormal, "Issued", "done", "certflow"), "every process derives the same name")
	assert.Equal(t, meta.KindEvent, a.Kind)
	assert.Equal(t, "default", a.Namespace)
	assert.True(t, strings.HasPrefix(a.Name, "web."), a.Name)
	for _, other := range []meta.Ref{
		Ref(web, meta.EventWarning, "Issued", "done", "certflow"),
		Ref(web, meta.EventNormal, "Failed", "done", "certflow"),
		Ref(web, meta.EventNormal, "Issued", "done!", "certflow"),
		Ref(meta.Ref{Kind: meta.KindOrder, Namespace: "default", Name: "web"}, meta.EventNormal, "Issued", "done", "certflow"),
	} {
		assert.NotEqual(t, a.Name, other.Name, "type, reason, message and object are all in the key")
	}
	long := meta.Ref{Kind: meta.KindChallenge, Namespace: "default", Name: strings.Repeat("x", 253)}
	assert.Len(t, Ref(long, meta.EventNormal, "Presented", "m", "certflow").Name, 253)
	cluster := Ref(meta.Ref{Kind: meta.KindClusterIssuer, Name: "le"}, meta.EventNormal, "Registered", "m", "certflow")
	assert.Equal(t, "certflow", cluster.Namespace, "a cluster-scoped object's events live in the cluster namespace")
}

func TestWriter_AggregatesRepeats(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(epoch)
	st := memory.New(memory.WithClock(clk))
	w := newWriter(t, st, clk, nil)

	w.Record(web, meta.EventWarning, "Failed", "the CA said no")
	clk.Advance(time.Second)
	w.Record(web, meta.EventWarning, "Failed", "the CA said no")
	w.Record(web, meta.EventNormal, "Requested", "request web-1")
	w.flush(ctx)
	clk.Advance(time.Minute)
	w.Record(web, meta.EventWarning, "Failed", "the CA said no")
	w.flush(ctx)

	evs := stored(t, st, web, clk)
	require.Len(t, evs, 2)
	assert.Equal(t, meta.Reason("Requested"), evs[0].Reason)
	f := evs[1]
	assert.Equal(t, meta.Reason("Failed"), f.Reason)
	assert.Equal(t, int32(3), f.Count)
	assert.Equal(t, epoch, f.FirstTime.UTC())
	assert.Equal(t, epoch.Add(time.Second+time.Minute), f.Time.UTC())
	assert.Equal(t, web, f.Object)
	assert.Equal(t, []meta.Ref{web}, f.ObjectMeta.OwnerRefs, "the involved object owns its events")
	assert.Empty(t, f.ObjectMeta.Labels, "the owner reference finds an object's events: no labels to store")
	assert.Equal(t, "a", f.ReportingInstance)
}

// Two replicas recording the same event meet on its name and both count.
func TestWriter_ReplicasAggregateIntoOneEvent(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(epoch)
	st := memory.New(memory.WithClock(clk))
	const writers, each = 4, 25
	var wg sync.WaitGroup
	for i := range writers {
		w := newWriter(t, st, clk, func(o *Options) { o.Instance = fmt.Sprint("replica-", i) })
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				w.Record(web, meta.EventWarning, "Failed", "the CA said no")
				w.flush(ctx)
			}
			assert.Zero(t, w.Dropped())
		}()
	}
	wg.Wait()
	evs := stored(t, st, web, clk)
	require.Len(t, evs, 1)
	assert.Equal(t, int32(writers*each), evs[0].Count)
}

func TestWriter_KeepsTheMostRecentPerObject(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(epoch)
	st := memory.New(memory.WithClock(clk))
	w := newWriter(t, st, clk, func(o *Options) { o.PerObject = 3 })
	other := meta.Ref{Kind: meta.KindOrder, Namespace: "default", Name: "web-1-1"}
	w.Record(other, meta.EventNormal, "Created", "order")
	for i := range 6 {
		clk.Advance(time.Second)
		w.Record(web, meta.EventNormal, "Step", fmt.Sprint("step ", i))
		w.flush(ctx)
	}
	evs := stored(t, st, web, clk)
	var msgs []string
	for _, e := range evs {
		msgs = append(msgs, e.Message)
	}
	assert.Equal(t, []string{"step 3", "step 4", "step 5"}, msgs)
	assert.Len(t, stored(t, st, other, clk), 1, "another object's events are not counted against it")
}

func TestWriter_PrunesByAge(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(epoch)
	st := memory.New(memory.WithClock(clk))
	w := newWriter(t, st, clk, func(o *Options) { o.MaxAge = time.Hour })
	w.Record(web, meta.EventWarning, "Failed", "old failure")
	w.Record(web, meta.EventNormal, "Old", "old news")
	w.flush(ctx)

	clk.Advance(2 * time.Hour)
	evs, err := For(ctx, st, web, "certflow", time.Hour, clk.Now())
	require.NoError(t, err)
	assert.Empty(t, evs, "aged events are not read")

	// Happening again past the age starts counting again.
	w.Record(web, meta.EventWarning, "Failed", "old failure")
	w.flush(ctx)
	evs, err = For(ctx, st, web, "certflow", time.Hour, clk.Now())
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, int32(1), evs[0].Count)
	assert.Equal(t, clk.Now(), evs[0].FirstTime)

	w.sweep(ctx)
	w.expire(ctx)
	res, err := st.List(ctx, store.ListOptions{Kind: meta.KindEvent})
	require.NoError(t, err)
	assert.Len(t, res.Items, 1, "the sweep deleted the aged event")
}

func TestWriter_DropsWhatDoesNotFit(t *testing.T) {
	clk := clock.NewFake(epoch)
	w := newWriter(t, memory.New(), clk, func(o *Options) { o.MaxPending = 2 })
	assert.True(t, w.Record(web, meta.EventNormal, "A", "a"))
	assert.True(t, w.Record(web, meta.EventNormal, "B", "b"))
	assert.False(t, w.Record(web, meta.EventNormal, "C", "c"))
	assert.True(t, w.Record(web, meta.EventNormal, "A", "a"), "a repeat of a pending event still counts")
	assert.Equal(t, uint64(1), w.Dropped())
}

// failingEvents refuses every write of an Event.
type failingEvents struct{ store.Store }

var errRefused = errors.New("refused")

func (f failingEvents) Create(ctx context.Context, obj meta.Object) error {
	if obj.GetKind() == meta.KindEvent {
		return errRefused
	}
	return f.Store.Create(ctx, obj)
}

func TestWriter_AStoreThatRefusesEventsLosesOnlyEvents(t *testing.T) {
	clk := clock.NewFake(epoch)
	w := newWriter(t, failingEvents{memory.New()}, clk, nil)
	w.Record(web, meta.EventNormal, "A", "a")
	w.Record(web, meta.EventNormal, "B", "b")
	w.flush(context.Background())
	assert.Equal(t, uint64(2), w.Dropped())
	assert.True(t, w.Record(web, meta.EventNormal, "C", "c"), "recording goes on")
}

func TestWriter_RunWritesAndFlushesOnStop(t *testing.T) {
	clk := clock.NewFake(epoch)
	st := memory.New(memory.WithClock(clk))
	w := newWriter(t, st, clk, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()

	ch, err := st.Watch(ctx, 0)
	require.NoError(t, err)
	w.Record(web, meta.EventNormal, "Requested", "request web-1")
	select {
	case ev := <-ch:
		assert.Equal(t, meta.KindEvent, ev.Ref.Kind)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not write the event")
	}
	cancel()
	<-done
	w.Record(web, meta.EventNormal, "Issued", "written on the next Run")
	ctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	w.Run(ctx2) // stopped at once: writes what is pending, then returns
	assert.Len(t, stored(t, st, web, clk), 2)
}

// What a writer remembers of its writes may be stale (another writer, the
// sweep, the collector deleted the Event): it writes the event anyway.
func TestWriter_AStaleMemoLosesNothing(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(epoch)
	st := memory.New(memory.WithClock(clk))
	w := newWriter(t, st, clk, nil)
	w.Record(web, meta.EventWarning, "Failed", "the CA said no")
	w.flush(ctx)
	evs := stored(t, st, web, clk)
	require.Len(t, evs, 1)
	require.NoError(t, st.Delete(ctx, meta.RefOf(&evs[0]), ""))

	w.Record(web, meta.EventWarning, "Failed", "the CA said no")
	w.flush(ctx)
	evs = stored(t, st, web, clk)
	require.Len(t, evs, 1)
	assert.Equal(t, int32(1), evs[0].Count)
	assert.Zero(t, w.Dropped())
}
