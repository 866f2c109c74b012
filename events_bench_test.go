package certflow

import (
	"context"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// BenchmarkEventsThroughManager is what an issuance's Events cost a
// running Manager end to end, in the shape of ACME issuance (docs/events.md):
// 12 Events created, 8 on objects that stay and 4 on one (the Challenge)
// that is deleted, whose 4 are then collected. Every step is counted: the
// writer's Create, the memory store's write and watch feed, the Manager's
// observing of each Event and of the owner's deletion, the collection's
// Deletes and their own trip through the watch. One op is one issuance's
// Events; cpu-µs/op is the whole process's CPU (every goroutine: the
// writer and the watch run beside the benchmark's), the number to compare.
//
//	go test -run '^$' -bench '^BenchmarkEventsThroughManager$' -benchtime 2000x .
func BenchmarkEventsThroughManager(b *testing.B) {
	ctx, m, st := runBenchManager(b)
	w := m.events.writer
	kept := [...]meta.Kind{meta.KindCertificate, meta.KindCertificateRequest, meta.KindOrder}
	b.ReportAllocs()
	cpu0 := processCPU()
	i := 0
	for b.Loop() {
		name := "web-" + strconv.Itoa(i)
		i++
		gone := &secret.Secret{
			TypeMeta:   meta.TypeMeta{APIVersion: meta.KindSecret.APIVersion(), Kind: meta.KindSecret},
			ObjectMeta: meta.ObjectMeta{Namespace: "bench", Name: name},
			Type:       secret.TypeOpaque,
		}
		if err := st.Create(ctx, gone); err != nil {
			b.Fatal(err)
		}
		for j := range 8 {
			obj := meta.Ref{Kind: kept[j%3], Namespace: "bench", Name: name}
			w.Record(obj, meta.EventNormal, "Step", "step "+strconv.Itoa(j)+" of "+name)
		}
		ref := meta.RefOf(gone)
		for j := range 4 {
			w.Record(ref, meta.EventNormal, "Presented", "presented step "+strconv.Itoa(j)+" for "+name+".example.test")
		}
		// As an Order deletes its Challenge once valid, after its Events
		// are stored.
		if err := w.Sync(ctx); err != nil {
			b.Fatal(err)
		}
		if err := st.Delete(ctx, ref, ""); err != nil {
			b.Fatal(err)
		}
	}
	awaitWatched(b, m, st)
	cpu := processCPU() - cpu0
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	if left := countEvents(b, st); left != 8*b.N {
		b.Fatalf("%d Events left, want the kept objects' %d", left, 8*b.N)
	}
}

// runBenchManager runs a Manager on a memory store until the benchmark
// ends, and returns once its watch has started.
func runBenchManager(b *testing.B) (context.Context, *Manager, *memory.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	st := memory.New()
	m, err := New(Config{Store: st, Clock: clock.Real{}, Workers: 2})
	if err != nil {
		b.Fatal(err)
	}
	stop := testrig.Run(b, ctx, time.Minute, m.Run)
	b.Cleanup(func() { cancel(); stop() })
	// Once the Manager has listed the Store and watches it: its start
	// collects Events whose objects do not exist, as the kept ones here.
	for n := 0; m.queue.watched.Load() == 0; n++ {
		warm := &secret.Secret{
			TypeMeta:   meta.TypeMeta{APIVersion: meta.KindSecret.APIVersion(), Kind: meta.KindSecret},
			ObjectMeta: meta.ObjectMeta{Namespace: "bench", Name: "warm-up-" + strconv.Itoa(n)},
			Type:       secret.TypeOpaque,
		}
		if err := st.Create(ctx, warm); err != nil {
			b.Fatal(err)
		}
		// Polled: the Manager exposes no signal for its watch's start, and
		// adding one to the product for a benchmark is not worth it.
		time.Sleep(time.Millisecond)
	}
	awaitWatched(b, m, st)
	return ctx, m, st
}

// awaitWatched waits until the Manager's watch has observed every change
// made so far, including the collection's Deletes (which it makes as it
// observes): the store's revision stops moving and the watch is at it.
// It polls, bounded by a minute: nothing signals the watch's progress, and
// a collection's Delete starts after the watch has passed the deletion.
func awaitWatched(b *testing.B, m *Manager, st *memory.Store) {
	deadline := time.Now().Add(time.Minute)
	for {
		rev := st.Revision()
		if m.queue.watched.Load() >= rev && m.events.writer.Pending() == 0 {
			time.Sleep(10 * time.Millisecond) // a collection may be mid-Delete
			if st.Revision() == rev {
				return
			}
		}
		if time.Now().After(deadline) {
			b.Fatal("the Manager's watch never caught up")
		}
		time.Sleep(time.Millisecond)
	}
}

func countEvents(b *testing.B, st *memory.Store) int {
	res, err := st.List(context.Background(), store.ListOptions{Kind: meta.KindEvent})
	if err != nil {
		b.Fatal(err)
	}
	return len(res.Items)
}

// processCPU is the CPU the process has used (user and system).
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
