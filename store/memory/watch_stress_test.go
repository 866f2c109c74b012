package memory

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// Watches that switch between keeping up (the writer hands them each
// change) and falling behind (their feeding goroutine takes from the
// history), one cancelled midway, get the changes once each, in order, as
// written, and every one of them unless cut off: the two paths never
// reorder, repeat or lose a change, and no send meets a closed channel
// (the race detector, or a panic, would say).
func TestWatch_HandOffAndFeedKeepEveryWatchInOrder(t *testing.T) {
	const (
		writers   = 4
		perWriter = 300
		watchers  = 6
	)
	s := New(WithWatchBuffer(512)) // small enough that a stalled watch is cut off
	type change struct {
		typ  store.EventType
		name string
	}
	var written sync.Map // revision → change, for Added and Modified
	record := func(obj meta.Object, typ store.EventType) {
		rev, err := strconv.ParseUint(obj.GetMeta().ResourceVersion, 10, 64)
		if err != nil {
			panic(err)
		}
		written.Store(rev, change{typ, obj.GetMeta().Name})
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var total atomic.Uint64
	finished := make(chan struct{})
	type result struct {
		got       map[uint64]change
		compacted bool
		err       error
	}
	results := make([]chan result, watchers)
	for i := range watchers {
		wctx, wcancel := context.WithCancel(ctx)
		ch, err := s.Watch(wctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		results[i] = make(chan result, 1)
		go func() {
			defer wcancel()
			r := result{got: map[uint64]change{}}
			defer func() { results[i] <- r }()
			next := uint64(1)
			for {
				var ev store.WatchEvent
				var ok bool
				select {
				case ev, ok = <-ch:
				case <-finished:
					if i != 0 && !r.compacted && next-1 == total.Load() {
						return // every change, and no more to come
					}
					ev, ok = <-ch
				}
				if !ok {
					if i != 0 && !r.compacted && r.err == nil {
						r.err = fmt.Errorf("closed after %d of %d changes", next-1, total.Load())
					}
					return
				}
				switch {
				case ev.Err != nil:
					if !errors.Is(ev.Err, store.ErrCompacted) {
						r.err = ev.Err
						return
					}
					r.compacted = true
					continue // the channel closes next
				case r.compacted:
					r.err = fmt.Errorf("revision %d after the cut-off", ev.Revision)
					return
				case ev.Revision != next:
					r.err = fmt.Errorf("got revision %d, want %d", ev.Revision, next)
					return
				}
				r.got[ev.Revision] = change{ev.Type, ev.Ref.Name}
				next++
				// Watch 0 cancels midway and drains; the others switch
				// between keeping up and lagging, in bursts of yields.
				if i == 0 && next == perWriter {
					wcancel()
				}
				if (next/32)%uint64(i+1) == 1 {
					for range 4 * i {
						runtime.Gosched()
					}
				}
			}
		}()
	}

	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range perWriter {
				ev := &meta.Event{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: fmt.Sprintf("w%d-%d", w, j)}}
				if err := s.Create(ctx, ev); err != nil {
					panic(err)
				}
				record(ev, store.Added)
				if j%3 == 0 {
					ev.Message = "again"
					if err := s.Update(ctx, ev); err != nil {
						panic(err)
					}
					record(ev, store.Modified)
				}
				if j%5 == 0 {
					if err := s.Delete(ctx, meta.RefOf(ev), ev.ObjectMeta.ResourceVersion); err != nil {
						panic(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	s.mu.RLock()
	total.Store(s.rev)
	s.mu.RUnlock()
	close(finished)

	cutOff := 0
	for i := range watchers {
		r := <-results[i]
		if r.err != nil {
			t.Fatalf("watch %d: %v", i, r.err)
		}
		if r.compacted {
			cutOff++
		}
		for rev, got := range r.got {
			want, ok := written.Load(rev)
			if !ok {
				want = change{store.Deleted, got.name} // a deletion's revision is not returned to its writer
			}
			if got != want {
				t.Fatalf("watch %d: revision %d is %v, written %v", i, rev, got, want)
			}
		}
		t.Logf("watch %d: %d changes of %d, cut off: %v", i, len(r.got), total.Load(), r.compacted)
	}
	if cutOff == watchers-1 {
		t.Fatal("every watch left running was cut off: nothing kept up to the end")
	}
}
