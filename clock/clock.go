// Package clock is the time source every certflow decision reads. Production
// code uses Real; tests drive a Fake forward and watch renewals happen at once.
package clock

import "time"

// Clock tells the time and makes timers.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
}

// Timer is the part of *time.Timer that certflow uses.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
	Reset(d time.Duration) bool
}

// Real is the system clock.
type Real struct{}

var _ Clock = Real{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// NewTimer returns a time.Timer.
func (Real) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time        { return r.t.C }
func (r realTimer) Stop() bool                 { return r.t.Stop() }
func (r realTimer) Reset(d time.Duration) bool { return r.t.Reset(d) }

// resetterAt is a Timer that can be armed for an instant of its own clock,
// so nothing can move that clock between reading the time and arming.
type resetterAt interface {
	ResetAt(at time.Time) bool
}

// ResetAt arms t to fire at the instant at of clk: exactly, when t supports
// it (the Fake's timers do), else by the duration from clk's now.
func ResetAt(clk Clock, t Timer, at time.Time) bool {
	if r, ok := t.(resetterAt); ok {
		return r.ResetAt(at)
	}
	return t.Reset(at.Sub(clk.Now()))
}

// NewTimerAt returns a timer of clk that fires at the instant at of clk,
// exactly when clk's timers support it (see ResetAt): a duration computed
// from a now read earlier would fire late by whatever the clock moved
// before the timer was made.
func NewTimerAt(clk Clock, at time.Time) Timer {
	t := clk.NewTimer(at.Sub(clk.Now()))
	ResetAt(clk, t, at)
	return t
}
