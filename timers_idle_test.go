package certflow

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
)

// An idle Manager wakes for nothing: however many visits are scheduled
// (a renewal a certificate), the timer heap arms one clock timer, for the
// earliest, and firing the due ones arms it again for the next, with
// nothing else fired.
func TestTimerHeap_ManyScheduledArmOneTimer(t *testing.T) {
	const n = 20000
	h := startHeapRun(t, testrig.Epoch, n)
	clk, th, fired := h.clk, h.th, h.fired

	// Minutes 1..n in a scattered order (7919 is prime to n).
	for i := range n {
		th.Schedule(ref(fmt.Sprint(i)), testrig.Epoch.Add(time.Duration(i*7919%n+1)*time.Minute))
	}
	// At most one, not exactly one: armed for the earliest visit, run may
	// still go round once more (a Schedule's wake taken before its round
	// read the heap) and stop the timer before arming it again.
	h.awaitArmed(t, testrig.Epoch.Add(time.Minute))
	assert.LessOrEqual(t, clk.Waiters(), 1, "one clock timer for %d scheduled visits", n)

	clk.Set(testrig.Epoch.Add(10 * time.Minute))
	got := map[meta.Ref]bool{}
	for range 10 {
		select {
		case r := <-fired:
			got[r] = true
		case <-h.ctx.Done():
			t.Fatalf("%d of the 10 due visits fired", len(got))
		}
	}
	h.awaitArmed(t, testrig.Epoch.Add(11*time.Minute))
	assert.LessOrEqual(t, clk.Waiters(), 1, "still one clock timer")
	assert.Empty(t, fired, "nothing fired before its time")
	for i := range n {
		if i*7919%n+1 <= 10 {
			assert.True(t, got[ref(fmt.Sprint(i))], "visit %d was due", i)
		}
	}
	_, ok := th.Scheduled(ref(fmt.Sprint(0))) // minute 1: fired, forgotten
	require.False(t, ok)
}
