package certflow

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/meta"
)

// wallStepped returns at as a reading taken after the system's wall clock
// stepped by d (whole seconds): its wall reading moved, its monotonic one
// not. The time package offers no way to build such a reading, so this
// writes the seconds of the wall field (layout unchanged since Go 1.9:
// hasMonotonic bit, 33 bits of seconds since 1885, 30 of nanoseconds), and
// checks the result reads as intended.
func wallStepped(t *testing.T, at time.Time, d time.Duration) time.Time {
	t.Helper()
	require.True(t, monotonic(at), "a reading with a monotonic part")
	require.Zero(t, d%time.Second)
	out := stepWall(at, d)
	require.Equal(t, time.Duration(0), out.Sub(at), "monotonic reading kept")
	require.Equal(t, d, out.Round(0).Sub(at.Round(0)), "wall reading stepped")
	return out
}

func stepWall(at time.Time, d time.Duration) time.Time {
	type timeLayout struct {
		wall uint64
		ext  int64
		loc  *time.Location
	}
	l := (*timeLayout)(unsafe.Pointer(&at))
	l.wall += uint64(int64(d/time.Second)) << 30
	return at
}

// A relative wait (a backoff, a poll, a retry: now plus a duration) lasts
// its duration when the wall clock steps after it was scheduled: back by
// an hour, it is due when its duration has passed, not an hour later;
// forward by an hour, not at once.
func TestTimerHeap_RelativeWaitIgnoresWallStep(t *testing.T) {
	const backoff = 5 * time.Second
	for _, step := range []time.Duration{-time.Hour, time.Hour} {
		th := newTimerHeap()
		ref := meta.Ref{Kind: meta.KindOrder, Namespace: "ns", Name: "o"}
		t0 := time.Now()
		th.Schedule(ref, t0.Add(backoff))

		due, _ := th.popDue(wallStepped(t, t0.Add(backoff-time.Millisecond), step))
		assert.Empty(t, due, "step %v: not due before its duration", step)
		th.firing = false
		due, _ = th.popDue(wallStepped(t, t0.Add(backoff), step))
		assert.Equal(t, []meta.Ref{ref}, due, "step %v: due once its duration passed", step)
	}
}

// A wall deadline (a renewal time from a certificate) is due when the wall
// clock reads it, across a step of the wall clock taken after it was
// scheduled: the heap moves it by the step it sees in the clock's
// readings, and reports it unchanged.
func TestTimerHeap_WallDeadlineFollowsWallStep(t *testing.T) {
	ref := meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "c"}

	th := newTimerHeap()
	t0 := time.Now()
	renew := t0.Round(0).Add(time.Hour)
	th.Schedule(ref, renew)
	due, _ := th.popDue(wallStepped(t, t0.Add(time.Second), time.Hour))
	assert.Equal(t, []meta.Ref{ref}, due, "the wall clock stepped past it: due")

	th = newTimerHeap()
	renew = t0.Round(0).Add(time.Second)
	th.Schedule(ref, renew)
	due, next := th.popDue(wallStepped(t, t0.Add(time.Second), -time.Hour))
	assert.Empty(t, due, "the wall clock stepped back an hour: not due yet")
	at, ok := th.Scheduled(ref)
	require.True(t, ok)
	assert.True(t, at.Equal(renew), "still reported at its wall time: %v", at)
	// The heap wakes within timerStepCheck to look for a further step.
	assert.Equal(t, timerStepCheck, next.Sub(t0.Add(time.Second)))
	at, _ = th.earliest()
	assert.InDelta(t, float64(time.Hour+time.Second), float64(at.Sub(t0)), float64(timerStepTolerance),
		"due an hour later by the monotonic clock")
}

// steppingClock is the Real clock whose wall readings are stepped by step
// (stepWall; wallStepped checks it).
type steppingClock struct {
	clock.Real
	step atomic.Int64
}

func (c *steppingClock) Now() time.Time { return stepWall(time.Now(), time.Duration(c.step.Load())) }

// Through the Real clock's timers: a backoff scheduled before the wall
// clock steps back an hour fires once its duration has passed.
func TestTimerHeap_BackoffFiresAfterWallStepsBack(t *testing.T) {
	const backoff = 100 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // bounds a failure only
	defer cancel()
	clk := &steppingClock{}
	wallStepped(t, time.Now(), -time.Hour)
	th := newTimerHeap()
	fired := make(chan meta.Ref, 1)
	done := make(chan struct{})
	go func() { defer close(done); th.run(ctx, clk, func(r meta.Ref) { fired <- r }) }()

	ref := meta.Ref{Kind: meta.KindChallenge, Namespace: "ns", Name: "ch"}
	start := time.Now()
	th.Schedule(ref, clk.Now().Add(backoff))
	clk.step.Store(int64(-time.Hour))
	select {
	case r := <-fired:
		assert.Equal(t, ref, r)
		assert.GreaterOrEqual(t, time.Since(start), backoff, "not before its duration")
	case <-ctx.Done():
		t.Fatal("the backoff never fired: it waits for the wall clock to come back")
	}
	cancel()
	<-done
}
