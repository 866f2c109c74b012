package certflow

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/meta"
)

// A Fake clock started from time.Now() carries a monotonic reading, yet
// moves only when told to, wall and monotonic together: it never steps.
// The heap arms its timer for the next renewal, not a minute on to look
// for a step, so a test that moves the clock from deadline to deadline
// (TestScaleInvariants' assertQuiet) steps through renewals, not through
// every minute of a month.
func TestTimerHeap_FakeClockFromNowArmsForTheDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // bounds a failure only
	defer cancel()
	start := time.Now()
	clk := clock.NewFake(start)
	th := newTimerHeap()
	renew := start.Round(0).Add(30 * 24 * time.Hour)
	th.Schedule(meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "c"}, renew)
	done := make(chan struct{})
	go func() { defer close(done); th.run(ctx, clk, func(meta.Ref) {}) }()

	initial := start.Add(time.Hour) // run's timer before its first round
	for {
		ch := clk.Changed()
		if next, ok := clk.NextDeadline(); ok && !next.Equal(initial) {
			assert.True(t, next.Equal(renew), "armed for %v, not the renewal at %v", next, renew)
			break
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatal("the timer was never armed")
		}
	}
	cancel()
	<-done
}
