package clock

import (
	"sync"
	"time"
)

// Fake is a Clock that moves only when told to. Timers fire when Advance or
// Set moves the time past their deadline. It is safe for concurrent use.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	timers  map[*fakeTimer]struct{}
	changed chan struct{} // closed and replaced whenever the timer set changes
}

var _ Clock = (*Fake)(nil)

// NewFake returns a Fake clock reading start, without its monotonic
// reading: a fake time has none. A start from time.Now() kept one until
// the first Set to a time read back from a Store (which has none), and
// the two readings of one instant differ by the nanoseconds between
// time.Now()'s two clock reads: a deadline armed from the monotonic one
// could then lie a few nanoseconds after the very instant a test Set the
// clock to, and never fire.
func NewFake(start time.Time) *Fake {
	return &Fake{now: start.Round(0), timers: map[*fakeTimer]struct{}{}, changed: make(chan struct{})}
}

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// NewTimer returns a timer that fires once the fake time reaches now+d.
func (f *Fake) NewTimer(d time.Duration) Timer {
	t := &fakeTimer{clock: f, c: make(chan time.Time, 1)}
	t.Reset(d)
	return t
}

// Advance moves the time forward by d and fires every timer that is due.
func (f *Fake) Advance(d time.Duration) { f.Set(f.Now().Add(d)) }

// Set moves the time to t (never backwards) and fires every timer that is due.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.After(f.now) {
		f.now = t.Round(0)
	}
	for tm := range f.timers {
		if !tm.deadline.After(f.now) {
			delete(f.timers, tm)
			select {
			case tm.c <- f.now:
			default:
			}
		}
	}
	f.notifyLocked()
}

// Waiters returns how many timers are armed.
func (f *Fake) Waiters() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timers)
}

// NextDeadline returns the earliest armed timer's deadline, if any.
func (f *Fake) NextDeadline() (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var next time.Time
	for tm := range f.timers {
		if next.IsZero() || tm.deadline.Before(next) {
			next = tm.deadline
		}
	}
	return next, !next.IsZero()
}

// Changed returns a channel closed the next time a timer is armed, stopped or
// fired, so a test can await a component going to sleep instead of guessing.
func (f *Fake) Changed() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.changed
}

func (f *Fake) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

type fakeTimer struct {
	clock    *Fake
	c        chan time.Time
	deadline time.Time
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	f := t.clock
	f.mu.Lock()
	defer f.mu.Unlock()
	_, armed := f.timers[t]
	delete(f.timers, t)
	if armed {
		f.notifyLocked()
	}
	return armed
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	f := t.clock
	f.mu.Lock()
	defer f.mu.Unlock()
	return t.resetLocked(f.now.Add(d))
}

// ResetAt arms t for the fake instant at, read and armed under one lock.
func (t *fakeTimer) ResetAt(at time.Time) bool {
	f := t.clock
	f.mu.Lock()
	defer f.mu.Unlock()
	return t.resetLocked(at)
}

func (t *fakeTimer) resetLocked(at time.Time) bool {
	f := t.clock
	_, armed := f.timers[t]
	t.deadline = at
	if !at.After(f.now) {
		delete(f.timers, t)
		select {
		case t.c <- f.now:
		default:
		}
	} else {
		f.timers[t] = struct{}{}
	}
	f.notifyLocked()
	return armed
}
