package certflow

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
)

// A Schedule wakes the timer goroutine only when it is due before the
// time that goroutine's timer is armed for: a later one is fired by the
// round that timer starts.
func TestTimerHeap_ScheduleWakesOnlyForEarlier(t *testing.T) {
	th := newTimerHeap()
	woken := func() bool { return signalled(th.changed) }
	at := func(m int) time.Time { return testrig.Epoch.Add(time.Duration(m) * time.Minute) }

	th.Schedule(ref("a"), at(10))
	assert.True(t, woken(), "nothing was armed for")
	due, next := th.popDue(testrig.Epoch)
	require.Empty(t, due)
	require.True(t, next.Equal(at(10)), "%v", next)

	th.Schedule(ref("b"), at(20))
	th.Schedule(ref("a"), at(10)) // the same time again
	assert.False(t, woken(), "the timer fires before both")
	th.Schedule(ref("c"), at(5))
	assert.True(t, woken(), "due before the timer")

	_, _ = th.popDue(testrig.Epoch)
	th.Cancel(ref("a"))
	th.Cancel(ref("b"))
	th.Cancel(ref("c"))
	_, _ = th.popDue(testrig.Epoch) // nothing left: armed for no entry
	th.Schedule(ref("d"), at(30))
	assert.True(t, woken(), "armed for no entry's time")
}

// No visit is lost to a Schedule that woke nobody: run fires it in the
// round its earlier timer starts, and one due earlier still fires first.
func TestTimerHeap_LaterScheduleStillFires(t *testing.T) {
	h := startHeapRun(t, testrig.Epoch, 8)
	at := func(m int) time.Time { return testrig.Epoch.Add(time.Duration(m) * time.Minute) }

	h.th.Schedule(ref("a"), at(10))
	h.awaitArmed(t, at(10))
	h.th.Schedule(ref("b"), at(20))
	h.th.Schedule(ref("c"), at(5))
	h.awaitArmed(t, at(5))
	h.clk.Set(at(5))
	assert.Equal(t, ref("c"), h.next(t))
	h.awaitArmed(t, at(10))
	h.clk.Set(at(20))
	got := map[meta.Ref]bool{h.next(t): true, h.next(t): true}
	assert.Equal(t, map[meta.Ref]bool{ref("a"): true, ref("b"): true}, got)
}

// A Schedule of the first wall deadline wakes run even when it is due
// after the time run's timer is armed for: that time was chosen without
// the step check wall deadlines need (timerStepCheck), so a step of the
// wall clock past the deadline would go unseen until then.
func TestTimerHeap_FirstWallDeadlineWakesForTheStepCheck(t *testing.T) {
	th := newTimerHeap()
	woken := func() bool { return signalled(th.changed) }
	t0 := time.Now()
	th.Schedule(ref("poll"), t0.Add(30*time.Minute)) // relative: no step check
	require.True(t, woken())
	_, next := th.popDue(t0)
	require.Equal(t, 30*time.Minute, next.Sub(t0))

	th.Schedule(ref("renew"), t0.Round(0).Add(40*time.Minute))
	require.True(t, woken(), "a wall deadline, and run armed for no step check")
	_, next = th.popDue(t0)
	assert.Equal(t, timerStepCheck, next.Sub(t0), "run looks for a step within timerStepCheck")

	th.Schedule(ref("renew2"), t0.Round(0).Add(50*time.Minute))
	assert.False(t, woken(), "the step check is armed already")
}
