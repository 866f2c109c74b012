package events

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/memory"
)

// Events recorded from several goroutines while Run flushes, each batch
// in the array and key map the last one left, are all stored, each with
// every occurrence counted once: a batch handed back too early, or a key
// map cleared under a batch still filling, would lose or double some.
func TestWriter_EveryOccurrenceRecordedWhileFlushingIsStored(t *testing.T) {
	ctx := testrig.Context(t)
	clk := clock.NewFake(epoch)
	raw := memory.New(memory.WithClock(clk))
	w := newWriter(t, raw, clk, nil)
	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); w.Run(rctx) }()
	defer func() { stop(); <-done }()

	const goroutines, perObject, repeats = 4, 5, 3
	objs := objectsAt(40)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for r := range repeats {
				for i, obj := range objs {
					if i%goroutines != g && r == 0 {
						continue // first round: each goroutine its own objects
					}
					for k := range perObject {
						assert.True(t, w.Record(obj, meta.EventNormal, "Step", fmt.Sprint("step ", k))) // not FailNow: off the test's goroutine
					}
				}
			}
		})
	}
	wg.Wait()
	require.NoError(t, w.Sync(ctx))
	// Each goroutine recorded each of its own objects' events in every
	// round, and every other object's in the rounds after the first.
	want := int32(repeats + (goroutines-1)*(repeats-1))
	for _, obj := range objs {
		evs := stored(t, raw, obj, clk)
		require.Len(t, evs, perObject, obj.Name)
		for _, e := range evs {
			assert.Equal(t, want, e.Count, "%s %s", obj.Name, e.Message)
		}
	}
	assert.Zero(t, w.Dropped())
}
