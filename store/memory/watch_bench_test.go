package memory_test

import (
	"fmt"
	"testing"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/memory"
)

// BenchmarkWatchDelivery is the store's share of one watch event as the
// Manager takes them: a writer creates Events (a third of an issuance's
// changes) while one watcher drains them. One op is one change written and
// delivered.
func BenchmarkWatchDelivery(b *testing.B) {
	s := memory.New()
	ctx := b.Context()
	ch, err := s.Watch(ctx, 0)
	if err != nil {
		b.Fatal(err)
	}
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
	owner := meta.Ref{Kind: meta.KindChallenge, Namespace: "bench", Name: "web-1-1234567890-1"}
	b.ReportAllocs()
	for i := range b.N {
		e := &meta.Event{Object: owner, Type: meta.EventNormal, Reason: "Presented", Count: 1,
			Message:    "presented HTTP-01 challenge for web.example.test",
			ObjectMeta: meta.ObjectMeta{Namespace: "bench", Name: fmt.Sprint("ev-", i), OwnerRefs: []meta.Ref{owner}}}
		if err := s.Create(ctx, e); err != nil {
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
	s := memory.New()
	ctx := b.Context()
	ch, err := s.Watch(ctx, 0)
	if err != nil {
		b.Fatal(err)
	}
	got := make(chan struct{})
	go func() {
		for range ch {
			got <- struct{}{}
		}
	}()
	owner := meta.Ref{Kind: meta.KindChallenge, Namespace: "bench", Name: "web-1-1234567890-1"}
	b.ReportAllocs()
	for i := range b.N {
		e := &meta.Event{Object: owner, Type: meta.EventNormal, Reason: "Presented", Count: 1,
			Message:    "presented HTTP-01 challenge for web.example.test",
			ObjectMeta: meta.ObjectMeta{Namespace: "bench", Name: fmt.Sprint("ev-", i), OwnerRefs: []meta.Ref{owner}}}
		if err := s.Create(ctx, e); err != nil {
			b.Fatal(err)
		}
		<-got
	}
}
