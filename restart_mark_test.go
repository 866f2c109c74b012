package certflow

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/memory"
)

// settle's mark returns only once the sentinel it wrote was delivered, not
// on the wake a Manager's start gives every waiter once it has listed, nor
// on the late delivery of an older sentinel. Taken for the delivery, that
// wake ended a restarted Manager's settle with its first changes still
// undelivered by a lagging watch (TestRestartNoticesASecretChangedWhileDown
// failed so, about once in 40 runs of the package under load). The test
// plays the Manager's start and watch itself, in the order of that run:
// the start's wake as the first sentinel is written, then that sentinel,
// delivered late, with the next one.
func TestSettleMarkAwaitsTheDeliveryOfItsOwnSentinel(t *testing.T) {
	ctx := testrig.Context(t)
	clk := clock.NewFake(testrig.Epoch)
	raw := memory.New(memory.WithClock(clk))
	sentinel := &budgetSentinel{ObjectMeta: meta.ObjectMeta{Namespace: "quiet", Name: "sentinel"}}
	require.NoError(t, raw.Create(ctx, sentinel))
	m, err := New(Config{Store: raw, Clock: clk})
	require.NoError(t, err)
	r := &quietRig{t: t, ctx: ctx, raw: raw, clk: clk, sentinel: sentinel, m: m} // not running: the test is its watch

	events, err := raw.Watch(ctx, raw.Revision())
	require.NoError(t, err)
	ref := meta.RefOf(sentinel)
	var delivered atomic.Uint64 // the version told as delivered, once it is
	watchCtx, stopWatch := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		var first string
		for {
			select {
			case ev := <-events:
				if ev.Ref != ref {
					continue
				}
				if first == "" {
					// The start's wake, as if its list had held this one.
					first = ev.Meta.ResourceVersion
					m.changes.notifyAll()
					continue
				}
				// The first, delivered late, then this one.
				m.changes.notify(ref, first)
				v, _ := strconv.ParseUint(ev.Meta.ResourceVersion, 10, 64)
				delivered.Store(v)
				m.changes.notify(ref, ev.Meta.ResourceVersion)
			case <-watchCtx.Done():
				return
			}
		}
	}()
	rev := r.mark()
	stopWatch()
	<-watched
	assert.NotZero(t, delivered.Load(), "mark returned before any sentinel it wrote was delivered")
	assert.Equal(t, delivered.Load(), rev, "mark returned a sentinel not delivered")
}
