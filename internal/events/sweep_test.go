package events

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// awaitDeadline waits until the earliest timer armed on clk is want (zero:
// none armed), re-checking whenever a timer changes.
func awaitDeadline(t *testing.T, ctx context.Context, clk *clock.Fake, want time.Time) {
	t.Helper()
	for {
		changed := clk.Changed()
		got, ok := clk.NextDeadline()
		if !ok && want.IsZero() || ok && got.Equal(want) {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("the writer's next wake-up is %v (armed: %v), want %v", got, ok, want)
		}
	}
}

// awaitNoEvents waits until st holds no Event, re-checking on its changes.
func awaitNoEvents(t *testing.T, ctx context.Context, st store.Store) {
	t.Helper()
	res, err := st.List(ctx, store.ListOptions{Kind: meta.KindEvent})
	require.NoError(t, err)
	ch, err := st.Watch(ctx, res.Revision)
	require.NoError(t, err)
	for len(res.Items) > 0 {
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("%d events left", len(res.Items))
		}
		res, err = st.List(ctx, store.ListOptions{Kind: meta.KindEvent})
		require.NoError(t, err)
	}
}

// The writer reads the Store only when an event it knows of passes MaxAge
// (and at its start): with nothing to age it sleeps, however long.
func TestWriter_SweepsOnlyWhenAnEventAges(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	clk := clock.NewFake(epoch)
	raw := memory.New(memory.WithClock(clk))
	st := storecount.New(raw)
	w := newWriter(t, st, clk, nil)
	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); w.Run(rctx) }()
	defer func() { stop(); <-done }()

	awaitDeadline(t, ctx, clk, time.Time{}) // started: nothing stored, nothing to age
	w.Record(web, meta.EventNormal, "Issued", "issued")
	expires := w.expiry(epoch)
	awaitDeadline(t, ctx, clk, expires)
	require.Len(t, stored(t, raw, web, clk), 1)

	before := st.Counts()
	clk.Set(expires.Add(-time.Minute))
	awaitDeadline(t, ctx, clk, expires)
	assert.Zero(t, st.Counts().Sub(before).Total(), "Store calls before any event ages: %s", st.Counts().Sub(before))

	clk.Set(expires)
	awaitNoEvents(t, ctx, raw)
	awaitDeadline(t, ctx, clk, time.Time{}) // nothing is left to age

	before = st.Counts()
	clk.Advance(30 * 24 * time.Hour)
	awaitDeadline(t, ctx, clk, time.Time{})
	assert.Zero(t, st.Counts().Sub(before).Total(), "Store calls with no event: %s", st.Counts().Sub(before))
}

// A sweep keeps what has not aged yet and wakes again when the earliest of
// it does.
func TestWriter_SweepWakesAgainForWhatItKept(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	clk := clock.NewFake(epoch)
	raw := memory.New(memory.WithClock(clk))
	w := newWriter(t, raw, clk, func(o *Options) { o.MaxAge = time.Hour })
	w.Record(web, meta.EventNormal, "Old", "old")
	w.flush(ctx)
	clk.Advance(40 * time.Minute)
	w.Record(web, meta.EventNormal, "Newer", "newer")
	w.flush(ctx)

	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); w.Run(rctx) }()
	defer func() { stop(); <-done }()
	awaitDeadline(t, ctx, clk, w.expiry(epoch)) // the start's sweep found both
	clk.Set(w.expiry(epoch))
	awaitDeadline(t, ctx, clk, w.expiry(epoch.Add(40*time.Minute)))
	evs := stored(t, raw, web, clk)
	require.Len(t, evs, 1)
	assert.Equal(t, "newer", evs[0].Message)
}

// Quiet is closed once what was recorded is stored.
func TestWriter_Quiet(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	clk := clock.NewFake(epoch)
	raw := memory.New(memory.WithClock(clk))
	w := newWriter(t, raw, clk, nil)
	select {
	case <-w.Quiet():
	default:
		t.Fatal("a new writer is quiet")
	}
	w.Record(web, meta.EventNormal, "Issued", "issued")
	quiet := w.Quiet()
	select {
	case <-quiet:
		t.Fatal("quiet with an event pending")
	default:
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); w.Run(rctx) }()
	defer func() { stop(); <-done }()
	select {
	case <-quiet:
	case <-ctx.Done():
		t.Fatal("never quiet")
	}
	assert.Len(t, stored(t, raw, web, clk), 1, "quiet once stored")
}

// Sync returns once what was recorded before it is stored, so a reader of
// the Store sees it: no waiting on the Store's watch, no sleep.
func TestWriter_SyncAwaitsWhatWasRecorded(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	clk := clock.NewFake(epoch)
	raw := memory.New(memory.WithClock(clk))
	w := newWriter(t, raw, clk, nil)
	w.Record(web, meta.EventNormal, "Issuing", "issuing")
	require.NoError(t, w.Sync(ctx))
	require.Len(t, stored(t, raw, web, clk), 1, "without Run, Sync writes what was recorded itself")

	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); w.Run(rctx) }()
	defer func() { stop(); <-done }()
	for i, obj := range objectsAt(50) {
		w.Record(obj, meta.EventNormal, "Issued", fmt.Sprint("issued ", i))
		require.NoError(t, w.Sync(ctx))
		require.Len(t, stored(t, raw, obj, clk), 1, "the event recorded before Sync is stored")
	}
}

// Sync gives up when its context ends: a Store that does not answer holds
// a reader of events no longer than the reader allows.
func TestWriter_SyncHonoursItsContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	clk := clock.NewFake(epoch)
	st := &blockingCreates{Store: memory.New(memory.WithClock(clk)), release: make(chan struct{})}
	w := newWriter(t, st, clk, nil)
	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); w.Run(rctx) }()
	w.Record(web, meta.EventNormal, "Issued", "issued")
	sctx, scancel := context.WithCancel(ctx)
	scancel()
	assert.ErrorIs(t, w.Sync(sctx), context.Canceled)
	close(st.release)
	require.NoError(t, w.Sync(ctx))
	assert.Len(t, stored(t, st, web, clk), 1)
	stop()
	<-done
	assert.NoError(t, w.Sync(ctx), "a stopped writer holds no reader")
}

// blockingCreates holds every Create until release is closed.
type blockingCreates struct {
	store.Store
	release chan struct{}
}

func (b *blockingCreates) Create(ctx context.Context, obj meta.Object) error {
	select {
	case <-b.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return b.Store.Create(ctx, obj)
}
