package certflow

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// Backlog counts what a Manager has taken on: a recorded event is backlog
// until the writer stores it, and an Applied object until it is reconciled.
func TestBacklogCountsUnfinishedWork(t *testing.T) {
	m, err := New(Config{Store: memory.New()})
	require.NoError(t, err)
	assert.True(t, m.Backlog().Idle(), "a new Manager owes nothing")

	ref := meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: "web"}
	m.events.Event(ref, meta.EventNormal, "Test", "recorded, not stored")
	assert.Equal(t, Backlog{Events: 1}, m.Backlog())
	m.queue.Add(ref)
	assert.Equal(t, Backlog{Queued: 1, Events: 1}, m.Backlog())
	assert.False(t, m.Backlog().Idle())
}

// heldList is a Store whose full list waits until released, as a large or
// starved one does.
type heldList struct {
	store.Store
	listing chan struct{} // closed when the full list is asked for
	release chan struct{}
	once    sync.Once
}

func (h *heldList) List(ctx context.Context, opts store.ListOptions) (store.ListResult, error) {
	if opts.Kind == "" && opts.Namespace == "" && len(opts.Labels) == 0 && opts.Owner == nil {
		h.once.Do(func() { close(h.listing) })
		select {
		case <-h.release:
		case <-ctx.Done():
			return store.ListResult{}, ctx.Err()
		}
	}
	return h.Store.List(ctx, opts)
}

// A Manager whose Run is still listing the Store owes the visits the list
// will queue: its Backlog is not Idle then, though nothing is queued yet
// (cmd/scale took such a Manager for quiet and saw it read afterwards).
func TestBacklogIsNotIdleWhileRunLists(t *testing.T) {
	st := &heldList{Store: memory.New(), listing: make(chan struct{}), release: make(chan struct{})}
	m, err := New(Config{Store: st})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()

	select {
	case <-st.listing:
	case err := <-done:
		t.Fatalf("Run ended before listing: %v", err)
	}
	b := m.Backlog()
	assert.Equal(t, Backlog{Listing: true}, b)
	assert.False(t, b.Idle(), "a Manager still listing has not caught up")

	close(st.release)
	// Backlog is a snapshot that wakes no one, the thing under test: polled.
	require.Eventually(t, func() bool { return m.Backlog().Idle() }, time.Minute, time.Millisecond,
		"an empty Store leaves nothing to do once listed")
	assert.False(t, m.Backlog().Listing)
}
