package certflow

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
)

func ref(name string) meta.Ref {
	return meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: name}
}

func TestWorkQueue_DeduplicatesAndRequeuesChangesDuringReconcile(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	q := newWorkQueue()
	q.Add(ref("a"))
	q.Add(ref("b"))
	q.Add(ref("a")) // already queued: no second entry
	assert.Equal(t, 2, q.Len())

	got, ok := q.Get(ctx)
	require.True(t, ok)
	assert.Equal(t, ref("a"), got)
	q.Add(ref("a")) // changed while in flight: must not be handed out now
	got, ok = q.Get(ctx)
	require.True(t, ok)
	assert.Equal(t, ref("b"), got, "a is in flight, so the next worker gets b")
	q.Done(ref("b"))

	q.Done(ref("a")) // a's change re-queues it once its reconcile ends
	got, ok = q.Get(ctx)
	require.True(t, ok)
	assert.Equal(t, ref("a"), got)
	q.Done(ref("a"))
	assert.Equal(t, 0, q.Len())

	short, stop := context.WithTimeout(ctx, 10*time.Millisecond)
	defer stop()
	_, ok = q.Get(short)
	assert.False(t, ok, "an empty queue blocks until the context ends")
}

// A drained queue gives back what a burst grew: the heap after draining a
// burst of 100k references is what an empty queue holds, not the maps'
// high-water size.
func TestWorkQueue_DrainedBurstIsReleased(t *testing.T) {
	ctx := testrig.Context(t) // draining 100k took 20 s of the former 30 s at load 15
	q := newWorkQueue()
	base := liveHeap()
	const n = 100000
	for i := range n {
		q.Add(meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: fmt.Sprintf("c%d", i)})
	}
	grown := liveHeap()
	for range n {
		r, ok := q.Get(ctx)
		require.True(t, ok)
		q.Done(r)
	}
	<-q.idle()
	drained := liveHeap()
	require.Greater(t, grown, base+n*50, "the burst itself takes room")
	assert.Less(t, drained, base+(grown-base)/10, "heap after draining: %d, before the burst %d, at its peak %d", drained, base, grown)

	q.Add(ref("after"))
	got, ok := q.Get(ctx)
	require.True(t, ok)
	assert.Equal(t, ref("after"), got, "the queue works on after making its maps anew")
}

// liveHeap is the bytes of live heap objects after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestWorkQueue_ChangeAlreadyDecidedOnIsNotVisitedAgain: an object's own
// change to a version a decision has already seen queues nothing, whether
// it arrives after that reconcile or while it is in flight; a newer
// version, a change no decision saw, and any plain Add still queue it.
func TestWorkQueue_ChangeAlreadyDecidedOnIsNotVisitedAgain(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	q := newWorkQueue()
	a := ref("a")

	q.AddChange(a, "7")
	require.Equal(t, 1, q.Len(), "no decision has seen version 7")
	got, _ := q.Get(ctx)
	require.Equal(t, a, got)
	// In flight: the reconcile writes 8 and decides again on it.
	q.AddChange(a, "8")
	q.Decided(a, "8")
	q.Done(a)
	assert.Equal(t, 0, q.Len(), "the change to 8 was decided on in the same visit")

	q.AddChange(a, "8") // delivered late
	assert.Equal(t, 0, q.Len(), "version 8 was decided on")
	q.AddChange(a, "9")
	assert.Equal(t, 1, q.Len(), "version 9 is news")
	got, _ = q.Get(ctx)
	// In flight again: it writes 10 and returns without deciding on it.
	q.Decided(a, "9")
	q.AddChange(a, "10")
	q.Done(got)
	assert.Equal(t, 1, q.Len(), "the change to 10 is looked at once the reconcile ends")
	got, _ = q.Get(ctx)
	q.Decided(a, "10")
	q.Done(got)

	q.Add(a) // a child or a timer: always a visit
	assert.Equal(t, 1, q.Len())
	got, _ = q.Get(ctx)
	q.Add(a)
	q.Done(got)
	assert.Equal(t, 1, q.Len(), "an Add while in flight re-queues whatever was decided")
	got, _ = q.Get(ctx)
	q.Done(got)

	q.Forget(a) // deleted: a new object of that name starts from nothing
	q.AddChange(a, "3")
	assert.Equal(t, 1, q.Len())
	got, _ = q.Get(ctx)
	q.Done(got)

	b := ref("b")
	q.Decided(b, "not-a-revision")
	q.AddChange(b, "not-a-revision")
	assert.Equal(t, 1, q.Len(), "versions that are not revisions cannot be compared: always visited")
}

// TestDecisionsTo_RecordsExecutedDecisionsAndCallsTheNextObserver: the
// version recorded is the one decided on, not the one the plan wrote; a
// failed execution records nothing; the configured Observer still sees
// every decision and its end.
func TestDecisionsTo_RecordsExecutedDecisionsAndCallsTheNextObserver(t *testing.T) {
	q := newWorkQueue()
	var seen []string
	next := func(kind meta.Kind, _ any, p *reconcile.Plan) func(time.Time, error) {
		seen = append(seen, "decided "+p.Object.GetMeta().ResourceVersion)
		return func(_ time.Time, err error) { seen = append(seen, fmt.Sprintf("ended %v", err)) }
	}
	obs := decisionsTo(q, next)
	c := testrig.Certificate("ns", "a", "ca", "a.example.test")
	c.ObjectMeta.ResourceVersion = "4"
	done := obs(meta.KindCertificate, nil, &reconcile.Plan{Object: c, Write: true})
	c.ObjectMeta.ResourceVersion = "5" // what Execute wrote
	done(time.Time{}, nil)
	q.AddChange(meta.RefOf(c), "4")
	assert.Equal(t, 0, q.Len(), "version 4 was decided on")
	q.AddChange(meta.RefOf(c), "5")
	assert.Equal(t, 1, q.Len(), "version 5 was written, not decided on")

	d := testrig.Certificate("ns", "d", "ca", "d.example.test")
	d.ObjectMeta.ResourceVersion = "6"
	obs(meta.KindCertificate, nil, &reconcile.Plan{Object: d})(time.Time{}, errors.New("conflict"))
	q.AddChange(meta.RefOf(d), "6")
	assert.Equal(t, 2, q.Len(), "a decision that failed to execute saw nothing")
	assert.Equal(t, []string{"decided 4", "ended <nil>", "decided 6", "ended conflict"}, seen)
}

// TestWorkQueue_WrittenChangeIsVisitedOnce: an object queued by its writer
// (AddWritten) is visited once for that version, even when the visit
// fails: the watch's change of the same version does not visit it again at
// once (a failed visit is retried after its backoff), while a later
// version does.
func TestWorkQueue_WrittenChangeIsVisitedOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	q := newWorkQueue()
	a := ref("a")

	q.AddWritten(a, "7")
	require.Equal(t, 1, q.Len(), "queued at the write")
	got, _ := q.Get(ctx)
	q.Done(got) // failed: no decision recorded
	q.AddChange(a, "7")
	assert.Equal(t, 0, q.Len(), "the watch's change of the written version asks for no visit")
	q.AddChange(a, "8")
	assert.Equal(t, 1, q.Len(), "a later version does")
	assert.Empty(t, q.written, "what the writer queued is let go once its change came")
}
