package certflow

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
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

func TestTimerHeap_FiresInOrderAndRescheduleReplaces(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	clk := clock.NewFake(testrig.Epoch)
	th := newTimerHeap()
	fired := make(chan meta.Ref, 10)
	done := make(chan struct{})
	go func() { defer close(done); th.run(ctx, clk, func(r meta.Ref) { fired <- r }) }()

	th.Schedule(ref("late"), testrig.Epoch.Add(3*time.Hour))
	th.Schedule(ref("early"), testrig.Epoch.Add(time.Hour))
	th.Schedule(ref("moved"), testrig.Epoch.Add(30*time.Minute))
	th.Schedule(ref("moved"), testrig.Epoch.Add(2*time.Hour)) // replaces the 30m visit
	th.Schedule(ref("gone"), testrig.Epoch.Add(time.Hour))
	th.Cancel(ref("gone"))

	waitArmed := func(at time.Time) {
		for {
			ch := clk.Changed()
			if next, ok := clk.NextDeadline(); ok && next.Equal(at) {
				return
			}
			select {
			case <-ch:
			case <-ctx.Done():
				t.Fatal("timer heap never armed its timer")
			}
		}
	}
	for _, step := range []struct {
		at   time.Duration
		want string
	}{{time.Hour, "early"}, {2 * time.Hour, "moved"}, {3 * time.Hour, "late"}} {
		waitArmed(testrig.Epoch.Add(step.at))
		clk.Set(testrig.Epoch.Add(step.at))
		select {
		case r := <-fired:
			assert.Equal(t, ref(step.want), r)
		case <-ctx.Done():
			t.Fatalf("%s never fired", step.want)
		}
	}
	_, scheduled := th.Scheduled(ref("gone"))
	assert.False(t, scheduled)
	assert.Empty(t, fired, "a cancelled or replaced visit never fires")
	cancel()
	<-done
}

// A drained queue gives back what a burst grew: the heap after draining a
// burst of 100k references is what an empty queue holds, not the maps'
// high-water size.
func TestWorkQueue_DrainedBurstIsReleased(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
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
