package certflow

import (
	"math"
	"time"
)

// timerAxis turns the times visits are scheduled at into int64 keys that
// order them by when they are due, and back.
//
// A key is nanoseconds since base. A time that carries a monotonic reading
// (the Real clock's Now plus a backoff, a poll interval, a retry) is keyed
// by that reading, as time.Until and a time.Timer would use it: a step of
// the system's wall clock moves neither it nor the process's timers, so a
// relative wait lasts its duration whatever the wall clock does. A wall
// time (a renewal time read from a certificate, a Retry-After date, any
// time of a Fake clock, which has no monotonic reading) is keyed by its
// wall reading less off, the wall clock's step since base: it is due when
// the wall clock reads it. observe follows steps from the monotonic
// readings it sees and says by how much the wall keys must move.
//
// base need not come from the Manager's Clock: its monotonic reading only
// meets the monotonic readings of other times of this process (one clock
// for them all), and its wall reading only gives wall times a zero. Keys
// reach about 292 years either side of base; times beyond saturate.
type timerAxis struct {
	base time.Time // with a monotonic reading
	wall time.Time // base's wall reading alone
	off  int64     // wall minus monotonic time elapsed since base, as last taken
}

// timerStepTolerance is how far the wall clock may drift from the
// monotonic one before wall keys are moved: less is reading noise, and a
// wall deadline fires at most this early or late.
const timerStepTolerance = 100 * time.Millisecond

func newTimerAxis() timerAxis {
	base := time.Now()
	return timerAxis{base: base, wall: base.Round(0)}
}

// monotonic reports whether at carries a monotonic reading (Round(0)
// strips it and changes nothing else).
func monotonic(at time.Time) bool { return at != at.Round(0) }

// key returns at's key and whether it is a wall key.
func (a *timerAxis) key(at time.Time) (int64, bool) {
	if monotonic(at) {
		return int64(at.Sub(a.base)), false
	}
	return satAdd(int64(at.Sub(a.wall)), -a.off), true
}

// time returns the wall time a key is due at, with the wall clock as off
// last saw it (a wall key comes back exactly, but at the range's ends).
func (a *timerAxis) time(key int64) time.Time {
	k := satAdd(key, a.off)
	return a.wall.Add(time.Duration(k)).UTC()
}

// instant returns the time a key is due at, for arming a timer of the
// Clock: with base's monotonic reading, so a Real timer waits by it.
func (a *timerAxis) instant(key int64) time.Time { return a.base.Add(time.Duration(key)) }

// observe takes the wall clock's step from now, if it carries a monotonic
// reading, and returns by how much wall keys must move (0 within
// timerStepTolerance).
func (a *timerAxis) observe(now time.Time) int64 {
	if !monotonic(now) {
		return 0
	}
	off := int64(now.Round(0).Sub(a.wall)) - int64(now.Sub(a.base))
	if d := off - a.off; d > int64(timerStepTolerance) || d < -int64(timerStepTolerance) {
		a.off = off
		return -d
	}
	return 0
}

// satAdd is a+b saturated at int64's ends.
func satAdd(a, b int64) int64 {
	s := a + b
	switch {
	case a > 0 && b > 0 && s < 0:
		return math.MaxInt64
	case a < 0 && b < 0 && s >= 0:
		return math.MinInt64
	}
	return s
}
