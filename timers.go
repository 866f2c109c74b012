package certflow

import (
	"context"
	"math"
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
	mu sync.Mutex
	// refs interns each scheduled reference with its place in entries,
	// a min-heap by time: at 100k certificates each has its renewal here,
	// so an entry is 32 bytes and its reference is held once (no map of
	// pointers to separately allocated entries).
	refs    refTable[int32]
	entries []timerSlot
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

// timerSlot is a scheduled visit: when, in Unix nanoseconds (timerNanos),
// and its reference. 16 bytes without a pointer, where a time.Time made it
// 32 with one (its location) for the collector to scan, 100k of them.
type timerSlot struct {
	at int64
	id int32 // in refs
}

// timerNanos is at in Unix nanoseconds, saturated at the range's ends (a
// visit scheduled before 1678 or after 2262 is due at the end).
func timerNanos(at time.Time) int64 {
	switch {
	case at.Before(timerMin):
		return math.MinInt64
	case at.After(timerMax):
		return math.MaxInt64
	}
	return at.UnixNano()
}

var (
	timerMin = time.Unix(0, math.MinInt64)
	timerMax = time.Unix(0, math.MaxInt64)
)

// timerTime is the time of a slot's at, in UTC.
func timerTime(at int64) time.Time { return time.Unix(0, at).UTC() }

func newTimerHeap() *timerHeap {
	return &timerHeap{changed: make(chan struct{}, 1)}
}

// Schedule sets ref's next visit to at, replacing any earlier schedule.
func (t *timerHeap) Schedule(ref meta.Ref, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	id, added := t.refs.intern(ref)
	if added {
		t.entries = append(t.entries, timerSlot{at: timerNanos(at), id: id})
		*t.refs.at(id) = int32(len(t.entries) - 1)
		t.up(len(t.entries) - 1)
	} else {
		i := int(*t.refs.at(id))
		t.entries[i].at = timerNanos(at)
		t.fix(i)
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
	if id, ok := t.refs.lookup(ref); ok {
		t.removeLocked(int(*t.refs.at(id)))
	}
}

// Scheduled returns ref's next visit, if any.
func (t *timerHeap) Scheduled(ref meta.Ref) (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	id, ok := t.refs.lookup(ref)
	if !ok {
		return time.Time{}, false
	}
	return timerTime(t.entries[*t.refs.at(id)].at), true
}

// removeLocked drops the entry at heap position i and forgets its
// reference.
func (t *timerHeap) removeLocked(i int) meta.Ref {
	id := t.entries[i].id
	ref := t.refs.ref(id)
	last := len(t.entries) - 1
	if i != last {
		t.swap(i, last)
	}
	t.entries[last] = timerSlot{}
	t.entries = t.entries[:last]
	if i != last {
		t.fix(i)
	}
	t.refs.release(id)
	if len(t.entries) == 0 {
		// Nothing scheduled: give back what a burst grew.
		t.refs, t.entries = refTable[int32]{}, nil
	}
	return ref
}

func (t *timerHeap) swap(i, j int) {
	t.entries[i], t.entries[j] = t.entries[j], t.entries[i]
	*t.refs.at(t.entries[i].id) = int32(i)
	*t.refs.at(t.entries[j].id) = int32(j)
}

func (t *timerHeap) less(i, j int) bool { return t.entries[i].at < t.entries[j].at }

// fix restores the heap after the entry at i changed.
func (t *timerHeap) fix(i int) {
	if !t.down(i) {
		t.up(i)
	}
}

func (t *timerHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !t.less(i, p) {
			return
		}
		t.swap(i, p)
		i = p
	}
}

// down moves the entry at i down, reporting whether it moved.
func (t *timerHeap) down(i int) bool {
	start, n := i, len(t.entries)
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && t.less(r, c) {
			c = r
		}
		if !t.less(c, i) {
			break
		}
		t.swap(i, c)
		i = c
	}
	return i > start
}

// pending reports whether an entry is due at now, or run is in a round
// (from looking for due entries until its timer is armed again), so a test
// driving a fake clock moves it only while run sleeps.
func (t *timerHeap) pending(now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.firing || len(t.entries) > 0 && t.entries[0].at <= timerNanos(now)
}

// armed ends a round of run: unless an entry became due meanwhile (the
// clock moved), in which case run goes round again at once.
func (t *timerHeap) armed(now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.entries) > 0 && t.entries[0].at <= timerNanos(now) {
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
	if !t.firing && (len(t.entries) == 0 || t.entries[0].at > timerNanos(now)) {
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
	return timerTime(t.entries[0].at), true
}

// popDue removes and returns every entry due at now, and the next deadline.
func (t *timerHeap) popDue(now time.Time) ([]meta.Ref, time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var due []meta.Ref
	for len(t.entries) > 0 && t.entries[0].at <= timerNanos(now) {
		due = append(due, t.removeLocked(0))
	}
	t.firing = true
	if len(t.entries) == 0 {
		return due, time.Time{}
	}
	return due, timerTime(t.entries[0].at)
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
