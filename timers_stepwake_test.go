package certflow

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/meta"
)

// While renewals wait on the Real clock, run wakes every timerStepCheck
// to look for a step of the wall clock: an idle Manager must still do
// nothing then, so that round (look for due entries, re-arm, end the
// round) allocates nothing and fires nothing.
func TestTimerHeap_IdleStepCheckAllocatesNothing(t *testing.T) {
	th := newTimerHeap()
	now := time.Now()
	for i := range 1000 {
		th.Schedule(meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: fmt.Sprint(i)},
			now.Round(0).Add(time.Duration(i+1)*24*time.Hour))
	}
	clk := clock.Real{}
	timer := clk.NewTimer(time.Hour)
	defer timer.Stop()
	var next time.Time
	allocs := testing.AllocsPerRun(100, func() {
		due, at := th.popDue(clk.Now())
		if len(due) > 0 {
			t.Fatalf("fired %v", due)
		}
		next = at
		timer.Stop()
		clock.ResetAt(clk, timer, at)
		require.True(t, th.armed(clk.Now()))
	})
	assert.Zero(t, allocs, "allocations per idle step check")
	assert.InDelta(t, float64(timerStepCheck), float64(time.Until(next)), float64(time.Second),
		"the round woke for the step check, not the first renewal a day away")
}
