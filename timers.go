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
	// firing is set from the moment run looks for due entries until its
	// clock timer is re-armed for the next one (see pending), so a test
	// that moves a fake clock never moves it while run computes a wait
	// from the time it read before.
	firing bool
	// quietCh is closed when a round of run ends with nothing due (see
	// quiet); nil while nobody waits.
	quietCh chan struct{}
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

// pending reports whether an entry is due at now, or run is in a round
// (from looking for due entries until its timer is armed again), so a test
// driving a fake clock moves it only while run sleeps.
func (t *timerHeap) pending(now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.firing || len(t.entries) > 0 && !t.entries[0].at.After(now)
}

// armed ends a round of run: unless an entry became due meanwhile (the
// clock moved), in which case run goes round again at once.
func (t *timerHeap) armed(now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.entries) > 0 && !t.entries[0].at.After(now) {
		return false
	}
	t.firing = false
	if t.quietCh != nil {
		close(t.quietCh)
		t.quietCh = nil
	}
	return true
}

// quiet returns a channel closed once nothing is due at now or being handed
// over (already closed if that holds now), so a test can await the handover.
func (t *timerHeap) quiet(now time.Time) <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.firing && (len(t.entries) == 0 || t.entries[0].at.After(now)) {
		ch := make(chan struct{})
		close(ch)
		return ch
	}
	if t.quietCh == nil {
		t.quietCh = make(chan struct{})
	}
	return t.quietCh
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
	t.firing = true
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
		if next.IsZero() {
			next = clk.Now().Add(time.Hour)
		}
		timer.Stop()
		clock.ResetAt(clk, timer, next)
		if !t.armed(clk.Now()) {
			continue // the clock passed the next entry while the timer was re-armed
		}
		select {
		case <-ctx.Done():
			return
		case <-t.changed:
		case <-timer.C():
		}
	}
}
