package certflow

import (
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
)

// BenchmarkEventsPacedThroughManager is BenchmarkEventsThroughManager at an
// issuance's pace: 8 issuances at a time, each recording its 12 Events one
// by one, eventGap apart (the reconciles between them), and deleting its
// Challenge after the last, with nobody waiting for the Events to be
// stored. So the writer is idle when most events come, as in the e2e run
// at 200:8 (~1,700 events a second), and what each costs in wakes of the
// writer and of the watch is counted, which the burst of 12 and a Sync of
// the other benchmark hides. The pacing's own sleeps cost the same CPU in
// every build: compare cpu-µs/op between builds, not with the other one.
//
//	go test -run '^$' -bench '^BenchmarkEventsPacedThroughManager$' -benchtime 500x .
func BenchmarkEventsPacedThroughManager(b *testing.B) {
	const eventGap = 4 * time.Millisecond
	ctx, m, st := runBenchManager(b)
	w := m.events.writer
	kept := [...]meta.Kind{meta.KindCertificate, meta.KindCertificateRequest, meta.KindOrder}
	var next atomic.Int64
	b.SetParallelism(4) // 8 at a time on 2 CPUs
	b.ReportAllocs()
	cpu0 := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			name := "web-" + strconv.FormatInt(next.Add(1), 10)
			gone := &secret.Secret{
				TypeMeta:   meta.TypeMeta{APIVersion: meta.KindSecret.APIVersion(), Kind: meta.KindSecret},
				ObjectMeta: meta.ObjectMeta{Namespace: "bench", Name: name},
				Type:       secret.TypeOpaque,
			}
			if err := st.Create(ctx, gone); err != nil {
				b.Error(err)
				return
			}
			ref := meta.RefOf(gone)
			for j := range 12 {
				time.Sleep(eventGap) // pacing: the reconciles between two events
				if j%3 == 2 && j > 4 || j == 4 {
					w.Record(ref, meta.EventNormal, "Presented", "presented step "+strconv.Itoa(j)+" for "+name+".example.test")
					continue
				}
				obj := meta.Ref{Kind: kept[j%3], Namespace: "bench", Name: name}
				w.Record(obj, meta.EventNormal, "Step", "step "+strconv.Itoa(j)+" of "+name)
			}
			time.Sleep(eventGap)
			// As its Order deletes it: through the reconcilers' Store,
			// which drops its waiting events (Writer.Gone).
			if err := m.deps.Store.Delete(ctx, ref, ""); err != nil {
				b.Error(err)
				return
			}
		}
	})
	awaitWatched(b, m, st)
	cpu := processCPU() - cpu0
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	if left := countEvents(b, st); left != 8*b.N {
		b.Fatalf("%d Events left, want the kept objects' %d", left, 8*b.N)
	}
}
