package events

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

// Under continuous issuance the queue never drains (each Event is queued
// for about an hour), so the namespaces it interns are let go one by one as
// their last entry leaves, not when it drains: one Event queued in each of
// 10,000 namespaces in turn, the due one popped each time, keeps the table
// as small as the queue.
func TestExpiries_ForgetsNamespacesNoLongerQueued(t *testing.T) {
	var x expiries
	const spaces = 10_000
	for i := range spaces {
		now := epoch.Add(time.Duration(i) * time.Second)
		ref := meta.Ref{Kind: meta.KindEvent, Namespace: fmt.Sprint("ns-", i), Name: fmt.Sprint("ev-", i)}
		x.track(ref, "1", now.Add(time.Second))
		got := x.popDue(now, expireBatch)
		if i > 0 {
			require.Len(t, got, 1, "step %d", i)
			assert.Equal(t, fmt.Sprint("ns-", i-1), got[0].ref.Namespace, "a recycled index names the namespace queued with it")
			assert.Equal(t, fmt.Sprint("ev-", i-1), got[0].ref.Name)
		}
		require.Len(t, x.queue, 1, "the queue never drains")
	}
	assert.LessOrEqual(t, len(x.spaceIndex), 2, "namespaces remembered")
	assert.LessOrEqual(t, len(x.spaces), 2, "namespace slots")
}

// Namespaces still queued keep their index while others come and go.
func TestExpiries_KeepsNamespacesStillQueued(t *testing.T) {
	var x expiries
	keep := meta.Ref{Kind: meta.KindEvent, Namespace: "kept", Name: "late"}
	x.track(keep, "1", epoch.Add(time.Hour))
	for i := range 100 {
		now := epoch.Add(time.Duration(i) * time.Second)
		x.track(meta.Ref{Kind: meta.KindEvent, Namespace: fmt.Sprint("ns-", i), Name: "e"}, "1", now.Add(time.Second))
		x.popDue(now, expireBatch)
	}
	x.track(meta.Ref{Kind: meta.KindEvent, Namespace: "kept", Name: "later"}, "1", epoch.Add(2*time.Hour))
	got := x.popDue(epoch.Add(3*time.Hour), expireBatch)
	require.Len(t, got, 3)
	assert.Equal(t, "ns-99", got[0].ref.Namespace)
	assert.Equal(t, keep, got[1].ref)
	assert.Equal(t, meta.Ref{Kind: meta.KindEvent, Namespace: "kept", Name: "later"}, got[2].ref)
	assert.Empty(t, x.spaceIndex)
}
