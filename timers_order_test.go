package certflow

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/internal/testrig"
)

// Visits fire in time order; scheduling a reference again replaces its
// visit, and a cancelled one never fires. The visit moved later here was
// the one run's timer is armed for: run is not woken for a later time
// (timerHeap.wakeAt), so its timer stays armed for the old one and fires
// to find nothing due. This test used to move it while run might not
// have armed for it yet, and wait for the timer at the next entry's time
// exactly: when run had armed in between, that wait never ended (a
// failure seen once at load 14).
func TestTimerHeap_FiresInOrderAndRescheduleReplaces(t *testing.T) {
	h := startHeapRun(t, testrig.Epoch, 10)
	at := func(d time.Duration) time.Time { return testrig.Epoch.Add(d) }

	h.th.Schedule(ref("late"), at(3*time.Hour))
	h.th.Schedule(ref("early"), at(time.Hour))
	h.th.Schedule(ref("moved"), at(30*time.Minute))
	h.awaitArmed(t, at(30*time.Minute))
	h.th.Schedule(ref("moved"), at(2*time.Hour)) // replaces the 30m visit
	h.th.Schedule(ref("gone"), at(time.Hour))
	h.th.Cancel(ref("gone"))

	h.clk.Set(at(30 * time.Minute))
	h.awaitArmed(t, at(time.Hour))
	assert.Empty(t, h.fired, "the replaced visit fired at its old time")
	for _, step := range []struct {
		at   time.Duration
		want string
	}{{time.Hour, "early"}, {2 * time.Hour, "moved"}, {3 * time.Hour, "late"}} {
		h.awaitArmed(t, at(step.at))
		h.clk.Set(at(step.at))
		assert.Equal(t, ref(step.want), h.next(t))
	}
	_, scheduled := h.th.Scheduled(ref("gone"))
	assert.False(t, scheduled)
	assert.Empty(t, h.fired, "a cancelled or replaced visit never fires")
}
