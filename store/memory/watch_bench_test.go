package memory_test

import (
	"fmt"
	"testing"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// BenchmarkWatchDelivery is the store's share of one watch event as the
// Manager takes them: a writer creates Events (a third of an issuance's
// changes) while one watcher drains them. One op is one change written and
// delivered.
func BenchmarkWatchDelivery(b *testing.B) {
	s, ch := benchWatch(b)
	ctx := b.Context()
	done := make(chan int)
	go func() {
		n := 0
		for range ch {
			if n++; n == b.N {
				break
			}
		}
		done <- n
	}()
	b.ReportAllocs()
	for i := range b.N {
		if err := s.Create(ctx, benchWatchEvent(i)); err != nil {
			b.Fatal(err)
		}
	}
	if n := <-done; n != b.N {
		b.Fatalf("delivered %d of %d", n, b.N)
	}
}

// A change at a time to a watch that keeps up, as a Manager's watch is fed
// by reconciles: the writer waits for the consumer to have it before the
// next write, so each change pays for every goroutine hand-off between
// the write and its consumer.
func BenchmarkWatchKeepingUp(b *testing.B) {
	s, ch := benchWatch(b)
	ctx := b.Context()
	got := make(chan struct{})
	go func() {
		for range ch {
			got <- struct{}{}
		}
	}()
	b.ReportAllocs()
	for i := range b.N {
		if err := s.Create(ctx, benchWatchEvent(i)); err != nil {
			b.Fatal(err)
		}
		<-got
	}
}

// benchWatch is a store and a watch of it from the start, for b.
func benchWatch(b *testing.B) (*memory.Store, <-chan store.WatchEvent) {
	b.Helper()
	s := memory.New()
	ch, err := s.Watch(b.Context(), 0)
	if err != nil {
		b.Fatal(err)
	}
	return s, ch
}

// benchWatchOwner owns the benchmarks' Events, as a Challenge its own.
var benchWatchOwner = meta.Ref{Kind: meta.KindChallenge, Namespace: "bench", Name: "web-1-1234567890-1"}

// benchWatchEvent is the i-th Event written: one of an issuance's.
func benchWatchEvent(i int) *meta.Event {
	return &meta.Event{Object: benchWatchOwner, Type: meta.EventNormal, Reason: "Presented", Count: 1,
		Message:    "presented HTTP-01 challenge for web.example.test",
		ObjectMeta: meta.ObjectMeta{Namespace: "bench", Name: fmt.Sprint("ev-", i), OwnerRefs: []meta.Ref{benchWatchOwner}}}
}
