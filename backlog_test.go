package certflow

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
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
