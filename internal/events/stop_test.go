package events

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// heldCreate holds the first Create until released, as a Store call under
// way when the writer's owner stops.
type heldCreate struct {
	store.Store
	once    sync.Once
	entered chan struct{}
	release chan struct{}
}

func (s *heldCreate) Create(ctx context.Context, obj meta.Object) error {
	s.once.Do(func() {
		close(s.entered)
		<-s.release
	})
	return s.Store.Create(ctx, obj)
}

// A batch being written when Run's context ends is written whole, within
// the bound of the last writes (flushTimeout), not cut where ctx ended:
// a batch gathers many events (window.go), and every one after the write
// under way was lost.
func TestWriter_ABatchBeingWrittenWhenRunStopsIsWrittenWhole(t *testing.T) {
	clk := clock.NewFake(epoch)
	raw := memory.New(memory.WithClock(clk))
	st := &heldCreate{Store: raw, entered: make(chan struct{}), release: make(chan struct{})}
	w := newWriter(t, st, clk, func(o *Options) { o.Window = time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	objs := objectsAt(3)
	for _, obj := range objs {
		w.Record(obj, meta.EventNormal, "Issued", "issued")
	}
	<-st.entered // the window ended: the batch's first write is under way
	cancel()
	close(st.release)
	<-done
	for _, obj := range objs {
		assert.Len(t, stored(t, raw, obj, clk), 1, "%s", obj)
	}
	assert.Zero(t, w.Dropped())
}
