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
	// axis keys the entries' times: monotonic for relative waits, so a
	// step of the wall clock neither delays nor hastens them.
	axis    timerAxis
	walls   int // entries with wall set
	changed chan struct{}
	// wakeAt is the key run's clock timer is armed for (popDue), or
	// math.MaxInt64 when it waits for nothing in particular: a Schedule
	// no earlier than it leaves run asleep, as that timer fires in time
	// for it. Most Schedules are (a renewal months ahead, a poll behind
	// others), and each wake cost run a round and the timer a reset.
	wakeAt int64
	// wakeUnchecked is set when run's timer was armed without the step
	// check (timerStepCheck) on a clock that needs one, for want of wall
	// deadlines: the first Schedule of one wakes run however late it is
	// due, so that a step of the wall clock past it is seen in time.
	wakeUnchecked bool
	// firing is set from the moment run looks for due entries until its
	// clock timer is re-armed for the next one (see pending), so a test
	// that moves a fake clock never moves it while run computes a wait
	// from the time it read before.
	firing bool
	// quietCh is closed when a round of run ends with nothing due (see
	// quiet); nil while nobody waits.
	quietCh chan struct{}
	// noStepCheck is set by run on a Fake clock: its time moves only when
	// told to, wall and monotonic together, so it never steps (a Fake
	// started from time.Now() has a monotonic reading all the same), and
	// waking it every timerStepCheck would have a test that moves it from
	// deadline to deadline move it a minute at a time.
	noStepCheck bool
}

// timerSlot is a scheduled visit: when, as a key on the heap's axis
// (timerAxis), and its reference. 16 bytes without a pointer, where a
// time.Time made it 32 with one (its location) for the collector to scan,
// 100k of them.
type timerSlot struct {
	at int64
	id int32 // in refs
	// wall marks a deadline given as a wall time (a renewal time, a
	// Retry-After date): due when the wall clock reads it, it moves when
	// the wall clock steps.
	wall bool
}

func newTimerHeap() *timerHeap {
	return &timerHeap{changed: make(chan struct{}, 1), axis: newTimerAxis(), wakeAt: math.MaxInt64}
}

// Schedule sets ref's next visit to at, replacing any earlier schedule.
func (t *timerHeap) Schedule(ref meta.Ref, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	// at is not observed for a step: computed from a reading taken
	// before one, it would take the wall keys back; the heap observes
	// only its own fresh readings (nowLocked).
	key, wall := t.axis.key(at)
	if wall {
		t.walls++
	}
	id, added := t.refs.intern(ref)
	if added {
		t.entries = append(t.entries, timerSlot{at: key, id: id, wall: wall})
		*t.refs.at(id) = int32(len(t.entries) - 1)
		t.up(len(t.entries) - 1)
	} else {
		i := int(*t.refs.at(id))
		if t.entries[i].wall {
			t.walls--
		}
		t.entries[i].at, t.entries[i].wall = key, wall
		t.fix(i)
	}
	if key >= t.wakeAt && !(wall && t.wakeUnchecked) {
		return
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
	return t.axis.time(t.entries[*t.refs.at(id)].at), true
}

// removeLocked drops the entry at heap position i and forgets its
// reference.
func (t *timerHeap) removeLocked(i int) meta.Ref {
	id := t.entries[i].id
	ref := t.refs.ref(id)
	if t.entries[i].wall {
		t.walls--
	}
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

// nowLocked takes the wall clock's step from now (moving the wall keys if
// it stepped) and returns now's key.
func (t *timerHeap) nowLocked(now time.Time) int64 {
	t.observeLocked(now)
	k, _ := t.axis.key(now)
	return k
}

// observeLocked moves the wall keys by the wall clock's step, if at shows
// one (timerAxis.observe).
func (t *timerHeap) observeLocked(at time.Time) {
	d := t.axis.observe(at)
	if d == 0 || t.walls == 0 {
		return
	}
	for i := range t.entries {
		if t.entries[i].wall {
			t.entries[i].at = satAdd(t.entries[i].at, d)
		}
	}
	for i := len(t.entries)/2 - 1; i >= 0; i-- {
		t.down(i)
	}
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
	return t.firing || len(t.entries) > 0 && t.entries[0].at <= t.nowLocked(now)
}

// armed ends a round of run: unless an entry became due meanwhile (the
// clock moved), in which case run goes round again at once.
func (t *timerHeap) armed(now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.entries) > 0 && t.entries[0].at <= t.nowLocked(now) {
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
	if !t.firing && (len(t.entries) == 0 || t.entries[0].at > t.nowLocked(now)) {
		ch := make(chan struct{})
		close(ch)
		return ch
	}
	if t.quietCh == nil {
		t.quietCh = make(chan struct{})
	}
	return t.quietCh
}

// earliest returns the instant of the Clock the earliest scheduled visit is
// due at (timerAxis.instant), if any.
func (t *timerHeap) earliest() (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.entries) == 0 {
		return time.Time{}, false
	}
	return t.axis.instant(t.entries[0].at), true
}

// popDue removes and returns every entry due at now, and the instant of
// the Clock to wake at next: the next entry's (timerAxis.instant), or
// sooner to see a step of the wall clock while wall deadlines wait (zero
// if nothing waits).
func (t *timerHeap) popDue(now time.Time) ([]meta.Ref, time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var due []meta.Ref
	key := t.nowLocked(now)
	for len(t.entries) > 0 && t.entries[0].at <= key {
		due = append(due, t.removeLocked(0))
	}
	t.firing = true
	t.wakeAt = math.MaxInt64 // run's fallback wait ends at no entry's time
	stepCheck := monotonic(now) && !t.noStepCheck
	t.wakeUnchecked = stepCheck && t.walls == 0
	if len(t.entries) == 0 {
		return due, time.Time{}
	}
	next := t.entries[0].at
	if t.walls > 0 && stepCheck {
		// Only a reading with a monotonic part shows a step; a Fake
		// clock's never steps, and its tests wait for the next entry.
		next = min(next, satAdd(key, int64(timerStepCheck)))
	}
	t.wakeAt = next
	return due, t.axis.instant(next)
}

// timerStepCheck is the longest the heap sleeps while wall deadlines wait
// on a clock that can step: a step of the system's wall clock (an NTP
// correction, a device's clock set at boot) moves them within this.
const timerStepCheck = time.Minute

// run fires due entries into fire until ctx is done.
func (t *timerHeap) run(ctx context.Context, clk clock.Clock, fire func(meta.Ref)) {
	if _, fake := clk.(*clock.Fake); fake {
		t.mu.Lock()
		t.noStepCheck = true
		t.mu.Unlock()
	}
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
