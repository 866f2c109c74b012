package certflow

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/meta"
)

// timerHeap schedules the next visit of each object (renewals, polls,
// backoffs) with one clock timer for the earliest entry, so the Manager never
// scans everything periodically. Scheduling a reference again replaces its
// previous entry.
type timerHeap struct {
	mu      sync.Mutex
	entries entryHeap
	byRef   map[meta.Ref]*timerEntry
	changed chan struct{}
	// firing is set while run hands popped entries to fire (see pending).
	firing bool
}

type timerEntry struct {
	ref   meta.Ref
	at    time.Time
	index int
}

type entryHeap []*timerEntry

func (h entryHeap) Len() int           { return len(h) }
func (h entryHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h entryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *entryHeap) Push(x any) {
	e := x.(*timerEntry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *entryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}

func newTimerHeap() *timerHeap {
	return &timerHeap{byRef: map[meta.Ref]*timerEntry{}, changed: make(chan struct{}, 1)}
}

// Schedule sets ref's next visit to at, replacing any earlier schedule.
func (t *timerHeap) Schedule(ref meta.Ref, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.byRef[ref]; ok {
		e.at = at
		heap.Fix(&t.entries, e.index)
	} else {
		e := &timerEntry{ref: ref, at: at}
		heap.Push(&t.entries, e)
		t.byRef[ref] = e
	}
	select {
	case t.changed <- struct{}{}:
	default:
	}
}

// Cancel drops ref's scheduled visit.
func (t *timerHeap) Cancel(ref meta.Ref) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.byRef[ref]; ok {
		heap.Remove(&t.entries, e.index)
		delete(t.byRef, ref)
	}
}

// Scheduled returns ref's next visit, if any.
func (t *timerHeap) Scheduled(ref meta.Ref) (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.byRef[ref]
	if !ok {
		return time.Time{}, false
	}
	return e.at, true
}

// pending reports whether an entry is due at now but not yet handed to
// fire, so a test driving a fake clock can await the handover.
func (t *timerHeap) pending(now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.firing || len(t.entries) > 0 && !t.entries[0].at.After(now)
}

// earliest returns the earliest scheduled visit, if any.
func (t *timerHeap) earliest() (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.entries) == 0 {
		return time.Time{}, false
	}
	return t.entries[0].at, true
}

// popDue removes and returns every entry due at now, and the next deadline.
func (t *timerHeap) popDue(now time.Time) ([]meta.Ref, time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var due []meta.Ref
	for len(t.entries) > 0 && !t.entries[0].at.After(now) {
		e := heap.Pop(&t.entries).(*timerEntry)
		delete(t.byRef, e.ref)
		due = append(due, e.ref)
	}
	t.firing = len(due) > 0
	if len(t.entries) == 0 {
		return due, time.Time{}
	}
	return due, t.entries[0].at
}

// run fires due entries into fire until ctx is done.
func (t *timerHeap) run(ctx context.Context, clk clock.Clock, fire func(meta.Ref)) {
	timer := clk.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		due, next := t.popDue(clk.Now())
		for _, ref := range due {
			fire(ref)
		}
		if len(due) > 0 {
			t.mu.Lock()
			t.firing = false
			t.mu.Unlock()
		}
		wait := time.Hour
		if !next.IsZero() {
			wait = next.Sub(clk.Now())
		}
		timer.Stop()
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-t.changed:
		case <-timer.C():
		}
	}
}
