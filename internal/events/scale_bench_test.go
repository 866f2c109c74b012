package events

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// benchEvents is how many Events the scale benchmarks store: 44,000 are
// the events of 10,000 certificates (CERTFLOW_BENCH_EVENTS overrides).
func benchEvents(b *testing.B) int {
	if v, err := strconv.Atoi(os.Getenv("CERTFLOW_BENCH_EVENTS")); err == nil && v > 0 {
		return v
	}
	return 44000
}

// labelled is an Event as writers stored it before Events dropped their
// labels: the involved object's kind and name as labels, which a store with
// a label index also indexes. The baseline of the benchmarks below.
func labelled(w *Writer, p *pending) *meta.Event {
	e := w.newEvent(p)
	e.ObjectMeta.Labels = map[string]string{"events.certflow.io/involved-kind": string(p.ev.Object.Kind),
		"events.certflow.io/involved-name": p.ev.Object.Name}
	return e
}

// fillEvents stores n Events of n/4 objects (the fourth object's Events
// are 30 minutes older than the others), shaped by shape, in st.
func fillEvents(b *testing.B, st store.Store, clk *clock.Fake, n int, shape func(*Writer, *pending) *meta.Event) *Writer {
	b.Helper()
	w := NewWriter(Options{Store: st, Clock: clk})
	ctx := context.Background()
	for i := range n {
		obj := meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: fmt.Sprint("c", i/4)}
		at := clk.Now()
		if i/4%4 == 0 {
			at = at.Add(-30 * time.Minute)
		}
		p := &pending{ev: meta.Event{Object: obj, Type: meta.EventNormal, Reason: meta.Reason(fmt.Sprint("Step", i%4)),
			Message: "Created new CertificateRequest resource " + obj.Name + "-1", Time: at, FirstTime: at, Count: 1}}
		p.ref = Ref(obj, p.ev.Type, p.ev.Reason, p.ev.Message, "")
		e := shape(w, p)
		if err := st.Create(ctx, e); err != nil {
			b.Fatal(err)
		}
		w.track(p.ref, e.ObjectMeta.ResourceVersion, e.Time)
	}
	return w
}

// BenchmarkExpire deletes the quarter of the stored Events that aged out,
// as Run does when they are due: the baseline lists every Event and
// deletes the aged (what the sweep did each time the earliest Event aged),
// "queue" deletes the due ones by name. Reported: Store calls and Events
// read (decoded) per Event deleted.
func BenchmarkExpire(b *testing.B) {
	n := benchEvents(b)
	for _, name := range []string{"baseline=list-every-event", "queue"} {
		b.Run(fmt.Sprintf("%s/events=%d", name, n), func(b *testing.B) {
			var calls, listed, deleted int64
			for b.Loop() {
				b.StopTimer()
				clk := clock.NewFake(epoch)
				raw := memory.New(memory.WithClock(clk), memory.WithHistory(1))
				w := fillEvents(b, raw, clk, n, (*Writer).newEvent)
				st := storecount.New(raw)
				w.o.Store = st
				clk.Set(w.expiry(epoch.Add(-30 * time.Minute)))
				b.StartTimer()
				if name != "queue" {
					w.exp = expiries{}
					w.sweep(b.Context()) // lists every Event, tracks the aged as due
				}
				for at := w.NextSweep(); !at.IsZero() && !at.After(clk.Now()); at = w.NextSweep() {
					w.expire(b.Context())
				}
				b.StopTimer()
				c := st.Counts()
				calls += c.Total()
				deleted += c.Of(storecount.Delete)
				if name != "queue" {
					listed += int64(n)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(calls)/float64(deleted), "store-calls/deleted")
			b.ReportMetric(float64(listed)/float64(deleted), "read/deleted")
		})
	}
}

// BenchmarkStoredEventHeap reports the heap one stored Event holds in the
// memory store ("B/event"), with the former labels (baseline) and without,
// and what the writer keeps per Event to delete it when it ages
// ("queue-B/event"; the baseline writer kept nothing, and listed every
// Event instead).
func BenchmarkStoredEventHeap(b *testing.B) {
	n := benchEvents(b)
	shapes := []struct {
		name  string
		shape func(*Writer, *pending) *meta.Event
	}{{"baseline=labelled", labelled}, {"owner-only", (*Writer).newEvent}}
	for _, s := range shapes {
		b.Run(fmt.Sprintf("%s/events=%d", s.name, n), func(b *testing.B) {
			var perEvent, queue float64
			for b.Loop() {
				clk := clock.NewFake(epoch)
				before := heapInUse()
				st := memory.New(memory.WithClock(clk), memory.WithHistory(1))
				w := fillEvents(b, st, clk, n, s.shape)
				withQueue := heapInUse()
				w.exp = expiries{}
				stored := heapInUse()
				perEvent = float64(stored-before) / float64(n)
				queue = float64(withQueue-stored) / float64(n)
				runtime.KeepAlive(st)
				runtime.KeepAlive(w)
			}
			b.ReportMetric(perEvent, "B/event")
			if s.name != "baseline=labelled" {
				b.ReportMetric(queue, "queue-B/event")
			}
		})
	}
}

// BenchmarkFor reads one object's Events among the stored ones, as Status
// and describe do: the baseline by label (the memory store's label index),
// the other by owner.
func BenchmarkFor(b *testing.B) {
	n := benchEvents(b)
	shapes := []struct {
		name  string
		shape func(*Writer, *pending) *meta.Event
		read  func(context.Context, store.Reader, meta.Ref) error
	}{
		{"baseline=by-label", labelled, func(ctx context.Context, r store.Reader, obj meta.Ref) error {
			_, err := r.List(ctx, store.ListOptions{Kind: meta.KindEvent, Namespace: obj.Namespace,
				Labels: map[string]string{"events.certflow.io/involved-kind": string(obj.Kind),
					"events.certflow.io/involved-name": obj.Name}})
			return err
		}},
		{"by-owner", (*Writer).newEvent, func(ctx context.Context, r store.Reader, obj meta.Ref) error {
			_, err := For(ctx, r, obj, "", DefaultMaxAge, epoch)
			return err
		}},
	}
	for _, s := range shapes {
		b.Run(fmt.Sprintf("%s/events=%d", s.name, n), func(b *testing.B) {
			clk := clock.NewFake(epoch)
			st := memory.New(memory.WithClock(clk), memory.WithHistory(1))
			fillEvents(b, st, clk, n, s.shape)
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				obj := meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: fmt.Sprint("c", i%(n/4))}
				if err := s.read(b.Context(), st, obj); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
