package clock_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/clock"
)

// A timer armed for an instant fires at that instant even when the clock
// moved between reading it and arming; one armed by duration would not.
func TestResetAt_FiresAtTheInstantWhateverTheClockDid(t *testing.T) {
	start := time.Unix(1e9, 0)
	f := clock.NewFake(start)
	at := start.Add(10 * time.Second)

	tm := f.NewTimer(time.Hour)
	f.Advance(4 * time.Second) // moves after "now" was read for at
	clock.ResetAt(f, tm, at)
	f.Set(at)
	select {
	case got := <-tm.C():
		assert.Equal(t, at, got)
	default:
		t.Fatal("the timer did not fire at its instant")
	}

	past := f.NewTimer(time.Hour)
	clock.ResetAt(f, past, start) // already due: fires at once
	select {
	case <-past.C():
	default:
		t.Fatal("a timer armed for a past instant fires at once")
	}
}

// A real timer an hour out, reset to now, fires now: within the test's
// patience, not in an hour (nor at the test binary's timeout).
func TestResetAt_RealClock(t *testing.T) {
	tm := clock.Real{}.NewTimer(time.Hour)
	clock.ResetAt(clock.Real{}, tm, time.Now())
	select {
	case <-tm.C():
	case <-time.After(10 * time.Second):
		t.Fatal("a real timer reset to now did not fire")
	}
}

// A timer made for an instant fires at it, wherever the clock stood when
// the instant was computed.
func TestNewTimerAt(t *testing.T) {
	start := time.Unix(1e9, 0)
	f := clock.NewFake(start)
	at := start.Add(10 * time.Second)
	f.Advance(4 * time.Second) // moves after at was computed from start
	tm := clock.NewTimerAt(f, at)
	f.Set(at)
	select {
	case got := <-tm.C():
		assert.Equal(t, at, got)
	default:
		t.Fatal("the timer did not fire at its instant")
	}
	past := clock.NewTimerAt(f, start)
	select {
	case <-past.C():
	default:
		t.Fatal("a timer made for a past instant fires at once")
	}
	<-clock.NewTimerAt(clock.Real{}, time.Now()).C()
}
