package memory_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/cputime"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// BenchmarkHeapAfterBurst reports what a store left by a burst of
// issuances costs the heap after a collection: its live objects
// (live-B/cert) and the spans they keep in use (spans-B/cert), which set
// the resident set once the scavenger is done (docs/memory.md). The
// issuances run interleaved, inflight at a time, each writing its
// objects in the order a Manager does (every Certificate and request
// written more than once, a temporary Secret created and deleted, Gets
// whose copies stay alive a while), so what stays sits among what died.
//
// With a lagging watcher, a watch reads nothing until the burst is over:
// the store keeps every version it has still to take (up to
// WithWatchBuffer's changes), as it does for a Manager whose watch falls
// behind, and those die only at the end.
//
// scan-B/cert is the part of the live heap the collector scans (objects
// holding pointers), whose marking is most of gc-cpu-ms.
func BenchmarkHeapAfterBurst(b *testing.B) {
	b.Run("watcher=none", func(b *testing.B) { heapAfterBurst(b, false) })
	b.Run("watcher=lagging", func(b *testing.B) { heapAfterBurst(b, true) })
}

func heapAfterBurst(b *testing.B, lagging bool) {
	const n, inflight, retained = 20000, 2000, 4000
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	at := time.Date(2026, 12, 1, 7, 3, 50, 0, time.UTC)
	b.ReportAllocs()
	var live, spans, scanned, gcCPU float64
	for b.Loop() {
		rng := rand.New(rand.NewPCG(1, 2))
		ca := pemOf(rng, "CERTIFICATE", 410)
		beforeLive, beforeSpans := heapInUse()
		_, beforeScan := heapAllocScan()
		s := memory.New()
		var events <-chan store.WatchEvent
		if lagging {
			var err error
			if events, err = s.Watch(ctx, 0); err != nil {
				b.Fatal(err)
			}
		}
		var kept [retained]meta.Object // reads a Manager keeps a while
		k := 0
		keep := func(o meta.Object) { kept[k%retained] = o; k++ }
		get := func(ref meta.Ref, into meta.Object) {
			if err := s.Get(ctx, ref, into); err != nil {
				b.Fatal(err)
			}
			keep(into)
		}
		must := func(err error) {
			if err != nil {
				b.Fatal(err)
			}
		}
		for wave := 0; wave < n; wave += inflight {
			objs := make([][]meta.Object, inflight)
			for i := range objs {
				objs[i] = issuedObjects(rng, fmt.Sprintf("c%d", wave+i), ca, at)
			}
			for step := range 7 {
				for i := range objs {
					o := objs[i]
					crt, req, sec := o[0].(*certificate.Certificate), o[1].(*request.CertificateRequest), o[2].(*secret.Secret)
					switch step {
					case 0:
						c := *crt
						c.Status = certificate.Status{}
						must(s.Create(ctx, &c))
						must(s.Create(ctx, o[3]))
					case 1:
						c := &certificate.Certificate{}
						get(meta.RefOf(crt), c)
						c.Status.Conditions = meta.Conditions{{Type: "Issuing", Status: meta.ConditionTrue, Reason: "DoesNotExist", Message: "Issuing certificate as Secret does not exist", LastTransitionTime: at}}
						must(s.Update(ctx, c))
						tmp := *sec
						tmp.ObjectMeta.Name = crt.ObjectMeta.Name + "-next-private-key"
						tmp.Data = map[string][]byte{secret.TLSKeyKey: sec.Data[secret.TLSKeyKey]}
						must(s.Create(ctx, &tmp))
						must(s.Create(ctx, o[4]))
					case 2:
						r := *req
						r.Status = request.Status{}
						must(s.Create(ctx, &r))
						must(s.Create(ctx, o[5]))
					case 3:
						r := &request.CertificateRequest{}
						get(meta.RefOf(req), r)
						r.Status = req.Status
						must(s.Update(ctx, r))
						must(s.Create(ctx, o[6]))
					case 4:
						must(s.Create(ctx, sec))
						must(s.Delete(ctx, meta.Ref{Kind: meta.KindSecret, Namespace: sec.ObjectMeta.Namespace, Name: crt.ObjectMeta.Name + "-next-private-key"}, ""))
					case 5:
						c := &certificate.Certificate{}
						get(meta.RefOf(crt), c)
						c.Status = crt.Status
						must(s.Update(ctx, c))
						must(s.Create(ctx, o[7]))
					case 6:
						get(meta.RefOf(sec), &secret.Secret{})
						get(meta.RefOf(req), &request.CertificateRequest{})
					}
				}
			}
		}
		for rev := s.Revision(); lagging; {
			if ev := <-events; ev.Err != nil || ev.Revision == rev {
				break
			}
		}
		kept = [retained]meta.Object{}
		afterLive, afterSpans := heapInUse()
		_, afterScan := heapAllocScan()
		live = float64(afterLive-beforeLive) / n
		scanned = float64(afterScan-beforeScan) / n
		spans = float64(afterSpans-beforeSpans) / n
		gcCPU = gcCPUTime()
		runtime.KeepAlive(s)
	}
	b.ReportMetric(live, "live-B/cert")
	b.ReportMetric(spans, "spans-B/cert")
	b.ReportMetric(scanned, "scan-B/cert")
	if !math.IsNaN(gcCPU) {
		b.ReportMetric(gcCPU, "gc-cpu-ms")
	}
}

// gcCPUTime returns the process CPU time, in milliseconds, of a forced
// collection of the heap as it is (the least of five: other processes on
// a shared machine only add to it), which is what an idle program pays
// every 2 minutes.
func gcCPUTime() float64 {
	least := math.Inf(1)
	for range 5 {
		before, ok := cputime.Process()
		runtime.GC()
		after, _ := cputime.Process()
		if !ok {
			return math.NaN() // not known on this platform
		}
		least = min(least, float64(after-before)/1e6)
	}
	return least
}

// heapInUse returns the live heap and the heap's spans in use after a
// collection.
func heapInUse() (live, spans uint64) {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc, ms.HeapInuse
}
