package events

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// batchCalls is a store.BatchCreator that notes each call made to it, and
// fails the creates of the objects named in refuse.
type batchCalls struct {
	store.Store
	mu      sync.Mutex
	batches []int // the size of each CreateBatch
	creates int
	refuse  map[string]bool
}

func (s *batchCalls) Create(ctx context.Context, obj meta.Object) error {
	s.mu.Lock()
	s.creates++
	s.mu.Unlock()
	if s.refuse[obj.GetMeta().Name] {
		return errRefused
	}
	return s.Store.Create(ctx, obj)
}

func (s *batchCalls) CreateBatch(ctx context.Context, objs []meta.Object, errs []error) {
	s.mu.Lock()
	s.batches = append(s.batches, len(objs))
	s.mu.Unlock()
	for i, obj := range objs {
		if s.refuse[obj.GetMeta().Name] {
			errs[i] = errRefused
			continue
		}
		errs[i] = s.Store.Create(ctx, obj)
	}
}

// objectsNamed returns n Certificates named prefix-0...
func objectsNamed(prefix string, n int) []meta.Ref {
	out := make([]meta.Ref, n)
	for i := range out {
		out[i] = meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: fmt.Sprint(prefix, "-", i)}
	}
	return out
}

// A burst of new events is created with one call on a Store that takes
// many at once: one at a time, the writer queued behind the reconcilers
// for the Store's lock once an Event and fell behind 2,000 issuances a
// second.
func TestWriter_ABatchOfNewEventsIsCreatedInOneCall(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(epoch)
	st := &batchCalls{Store: memory.New(memory.WithClock(clk))}
	w := newWriter(t, st, clk, nil)
	objs := objectsNamed("c", 300)
	for _, obj := range objs {
		w.Record(obj, meta.EventNormal, "Issued", "issued")
		w.Record(obj, meta.EventNormal, "Issued", "issued") // a repeat: one Event, counted twice
	}
	w.flush(ctx)
	assert.Equal(t, []int{len(objs)}, st.batches)
	assert.Zero(t, st.creates)
	for _, obj := range objs {
		evs := stored(t, st, obj, clk)
		require.Len(t, evs, 1, "%s", obj)
		assert.Equal(t, int32(2), evs[0].Count)
		_, known := w.Version(Ref(obj, meta.EventNormal, "Issued", "issued", "certflow"))
		assert.True(t, known, "tracked for expiry, and known stored: %s", obj)
	}
	assert.Zero(t, w.Dropped())

	// Known now, they are added to, one at a time, not created.
	w.Record(objs[0], meta.EventNormal, "Issued", "issued")
	w.Record(objs[1], meta.EventNormal, "Renewed", "renewed")
	w.flush(ctx)
	assert.Equal(t, []int{len(objs), 1}, st.batches, "only the new one is created")
	assert.Equal(t, int32(3), stored(t, st, objs[0], clk)[0].Count)
}

// An Event another writer (a replica) created since this one last looked
// is added to, not lost: the batch's create of it fails with
// store.ErrAlreadyExists.
func TestWriter_ABatchCreateThatLosesARaceAddsToTheEvent(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(epoch)
	st := &batchCalls{Store: memory.New(memory.WithClock(clk))}
	w := newWriter(t, st, clk, nil)
	other := newWriter(t, st, clk, func(o *Options) { o.Instance = "b" })
	objs := objectsNamed("c", 3)
	require.NoError(t, other.Write(ctx, objs[1], meta.EventNormal, "Issued", "issued"))
	for _, obj := range objs {
		w.Record(obj, meta.EventNormal, "Issued", "issued")
	}
	w.flush(ctx)
	require.Equal(t, []int{3}, st.batches)
	for i, obj := range objs {
		evs := stored(t, st, obj, clk)
		require.Len(t, evs, 1, "%s", obj)
		want := int32(1)
		if i == 1 {
			want = 2 // the other writer's occurrence and this one's
		}
		assert.Equal(t, want, evs[0].Count, "%s", obj)
	}
	assert.Zero(t, w.Dropped())
}

// An Event the Store does not take is lost and counted, alone: the rest
// of its batch is stored.
func TestWriter_AnEventOfABatchTheStoreRefusesIsLostAlone(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(epoch)
	objs := objectsNamed("c", 5)
	refused := Ref(objs[2], meta.EventNormal, "Issued", "issued", "certflow")
	st := &batchCalls{Store: memory.New(memory.WithClock(clk)), refuse: map[string]bool{refused.Name: true}}
	w := newWriter(t, st, clk, nil)
	for _, obj := range objs {
		w.Record(obj, meta.EventNormal, "Issued", "issued")
	}
	w.flush(ctx)
	assert.Equal(t, uint64(1), w.Dropped())
	for i, obj := range objs {
		want := 1
		if i == 2 {
			want = 0
		}
		assert.Len(t, stored(t, st, obj, clk), want, "%s", obj)
	}
	_, known := w.Version(refused)
	assert.False(t, known, "not stored: not tracked")

	// Not known stored, it is created when it happens again.
	delete(st.refuse, refused.Name)
	w.Record(objs[2], meta.EventNormal, "Issued", "issued")
	w.flush(ctx)
	assert.Equal(t, []int{len(objs), 1}, st.batches)
	assert.Len(t, stored(t, st, objs[2], clk), 1)
}
