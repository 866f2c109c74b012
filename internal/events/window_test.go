package events

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/memory"
)

// runWriter runs w until the test ends.
func runWriter(t *testing.T, ctx context.Context, w *Writer) {
	t.Helper()
	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); w.Run(rctx) }()
	t.Cleanup(func() { stop(); <-done })
}

// A batch is written when its window ends, with nobody asking: the first
// event opens the window (Record arms it, Run is not woken for that).
func TestWriter_TheWindowEndsAndWritesTheBatch(t *testing.T) {
	ctx := testrig.Context(t)
	clk := clock.NewFake(epoch)
	raw := memory.New(memory.WithClock(clk))
	w := newWriter(t, raw, clk, func(o *Options) { o.Window = time.Millisecond })
	runWriter(t, ctx, w)
	for round := range 3 { // each batch opens its own window
		obj := meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: fmt.Sprint("web-", round)}
		w.Record(obj, meta.EventNormal, "Issued", "issued")
		testrig.Await(t, ctx, raw, "the window's end writes the event", func() bool {
			return len(stored(t, raw, obj, clk)) == 1
		}, nil)
	}
}

// Sync does not wait for the window: a reader of the events
// (Manager.Events, Status) has them now.
func TestWriter_SyncEndsTheWindow(t *testing.T) {
	ctx := testrig.Context(t)
	clk := clock.NewFake(epoch)
	raw := memory.New(memory.WithClock(clk))
	w := newWriter(t, raw, clk, func(o *Options) { o.Window = time.Hour })
	runWriter(t, ctx, w)
	// Else Sync writes the events itself, as for a writer never run.
	testrig.Poll(t, ctx, "Run runs", w.Running)
	w.Record(web, meta.EventNormal, "Requested", "requested")
	require.NoError(t, w.Sync(ctx))
	assert.Len(t, stored(t, raw, web, clk), 1)
}

// Quiet does not wait for the window: a test awaiting the writer has the
// events now.
func TestWriter_QuietEndsTheWindow(t *testing.T) {
	ctx := testrig.Context(t)
	clk := clock.NewFake(epoch)
	raw := memory.New(memory.WithClock(clk))
	w := newWriter(t, raw, clk, func(o *Options) { o.Window = time.Hour })
	runWriter(t, ctx, w)
	w.Record(web, meta.EventNormal, "Issued", "issued")
	select {
	case <-w.Quiet():
	case <-ctx.Done():
		t.Fatal("Quiet waited for the window")
	}
	assert.Len(t, stored(t, raw, web, clk), 1)
}

// A full batch is written without waiting for its window: a new event
// past MaxPending would be dropped meanwhile.
func TestWriter_AFullBatchIsWrittenAtOnce(t *testing.T) {
	ctx := testrig.Context(t)
	clk := clock.NewFake(epoch)
	raw := memory.New(memory.WithClock(clk))
	w := newWriter(t, raw, clk, func(o *Options) { o.Window = time.Hour; o.MaxPending = 3 })
	runWriter(t, ctx, w)
	objs := objectsAt(3)
	for _, obj := range objs {
		require.True(t, w.Record(obj, meta.EventNormal, "Issued", "issued"))
	}
	testrig.Await(t, ctx, raw, "the full batch is written", func() bool {
		return len(stored(t, raw, objs[2], clk)) == 1
	}, nil)
	assert.Zero(t, w.Dropped())
}
