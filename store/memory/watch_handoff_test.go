package memory

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/certflow/certflow/meta"
)

// A watch that keeps up gets a change from its writer: the change is in
// the channel when the write returns, with no goroutine between them. A
// cancelled watch is handed nothing more.
func TestWatch_WriterHandsChangeToIdleWatch(t *testing.T) {
	s := New()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := s.Watch(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The feeding goroutine parks once it finds nothing to take.
	awaitIdle := func() {
		for {
			s.mu.Lock()
			idle := true
			for w := range s.watchers {
				idle = idle && w.idle
			}
			s.mu.Unlock()
			if idle {
				return
			}
			runtime.Gosched()
		}
	}
	create := func(i int) {
		t.Helper()
		ev := &meta.Event{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: fmt.Sprint("ev-", i)}}
		if err := s.Create(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		awaitIdle()
		create(i)
		select {
		case ev := <-ch:
			if ev.Ref.Name != fmt.Sprint("ev-", i) || ev.Revision != uint64(i+1) {
				t.Fatalf("change %d: got %s at %d", i, ev.Ref.Name, ev.Revision)
			}
		default:
			t.Fatalf("change %d was not in the channel when its write returned", i)
		}
	}
	awaitIdle()
	cancel()
	create(5)
	for ev := range ch {
		t.Fatalf("a cancelled watch got %s", ev.Ref.Name)
	}
}
