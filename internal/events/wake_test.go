package events

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// A wake that asks for no write (a list handed over, as a Manager's start
// or re-list does) leaves the window open: the events waiting stay
// waiting, so that those of an object deleted meanwhile are dropped with
// it (Gone) instead of written just before it goes. So too once a reader
// has asked for, and been given, a write: its ask is spent with it.
func TestWriter_AHandedOverListLeavesTheWindowOpen(t *testing.T) {
	for _, synced := range []bool{false, true} {
		t.Run(map[bool]string{false: "never-asked", true: "after-a-sync"}[synced], func(t *testing.T) {
			handedOverListLeavesTheWindowOpen(t, synced)
		})
	}
}

func handedOverListLeavesTheWindowOpen(t *testing.T, synced bool) {
	ctx := testrig.Context(t)
	clk := clock.NewFake(epoch)
	raw := memory.New(memory.WithClock(clk))
	st := storecount.New(raw)
	w := newWriter(t, st, clk, func(o *Options) { o.Window = time.Hour; o.MaxAge = time.Hour })
	runWriter(t, ctx, w)
	// Its start's sweep is done: it lists, then is quiet (Quiet before the
	// list may answer before Run even began).
	testrig.Poll(t, ctx, "the start's sweep lists", func() bool { return st.Counts().Of(storecount.List) > 0 })
	awaitQuiet(t, ctx, w)

	// An Event another writer left, aged by the time the list is handed
	// over: Run deletes it in a later turn of its loop than the wake's, so
	// once it is gone, that wake is over.
	other := newWriter(t, raw, clk, nil)
	old := meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: "old"}
	other.Record(old, meta.EventNormal, "Issued", "issued")
	other.flush(context.Background())
	clk.Advance(2 * time.Hour)

	if synced { // a reader asked, and was given, a write: not aged by the list
		earlier := meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: "earlier"}
		w.Record(earlier, meta.EventNormal, "Issued", "issued")
		require.NoError(t, w.Sync(ctx))
	}
	created := st.Counts().Of(storecount.Create)

	w.Record(web, meta.EventNormal, "Issued", "issued")
	all, err := raw.List(ctx, store.ListOptions{})
	require.NoError(t, err)
	w.Listed(all.Items, nil)
	testrig.Await(t, ctx, raw, "the aged Event is deleted", func() bool {
		return st.Counts().Of(storecount.Delete) > 0
	}, func() string { return st.Counts().String() })

	c := st.Counts()
	assert.Equal(t, int64(1), c.Of(storecount.Delete), "the aged Event: %s", c)
	assert.Equal(t, created, c.Of(storecount.Create), "the wake wrote the waiting event: %s", c)
	assert.Equal(t, 1, w.Pending())
	require.NoError(t, w.Sync(ctx))
	assert.Len(t, stored(t, raw, web, clk), 1, "a reader's Sync writes it")
}

// awaitQuiet waits until w is quiet (Quiet).
func awaitQuiet(t *testing.T, ctx context.Context, w *Writer) {
	t.Helper()
	select {
	case <-w.Quiet():
	case <-ctx.Done():
		t.Fatal("the writer never settled")
	}
}

// An event recorded while a caller of Quiet waits is written without
// waiting for the window: the caller waits for nothing pending. (Quiet
// asked for a write only of what waited when it was called; a wake for a
// list, which no longer flushes, left a later event to the window.)
func TestWriter_QuietWritesWhatIsRecordedWhileItWaits(t *testing.T) {
	ctx, cancel := context.WithTimeout(testrig.Context(t), 30*time.Second) // bounds a failure only
	defer cancel()
	clk := clock.NewFake(epoch)
	raw := memory.New(memory.WithClock(clk))
	w := newWriter(t, raw, clk, func(o *Options) { o.Window = time.Hour })
	w.Listed(nil, nil)
	quiet := w.Quiet() // not quiet: a list waits to be swept, nothing pending
	w.Record(web, meta.EventNormal, "Issued", "issued")
	runWriter(t, ctx, w)
	select {
	case <-quiet:
	case <-ctx.Done():
		t.Fatal("Quiet waited for the window")
	}
	assert.Len(t, stored(t, raw, web, clk), 1)
}
