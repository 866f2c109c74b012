package certflow

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/meta"
)

type otherKey struct{}

// sinkCtx makes a context escape, as a visit's does.
var sinkCtx context.Context

// TestReconciling_IsAContextWithValue: the object reconciled is found, and
// everything else (values, deadline, cancellation and its cause) is the
// parent's, as with context.WithValue; each visit costs one allocation and
// a lookup none.
func TestReconciling_IsAContextWithValue(t *testing.T) {
	ref := meta.Ref{Kind: meta.KindOrder, Namespace: "ns", Name: "o"}
	parent, cancel := context.WithCancelCause(context.WithValue(context.Background(), otherKey{}, "v"))
	parent, stop := context.WithTimeout(parent, time.Hour)
	defer stop()
	ctx := reconciling(parent, ref)

	got, ok := reconciledBy(ctx)
	assert.True(t, ok)
	assert.Equal(t, ref, got)
	_, ok = reconciledBy(parent)
	assert.False(t, ok, "outside a reconcile")
	assert.Equal(t, "v", ctx.Value(otherKey{}))
	dl, _ := parent.Deadline()
	cdl, ok := ctx.Deadline()
	assert.True(t, ok)
	assert.Equal(t, dl, cdl)

	child, stopChild := context.WithCancel(ctx)
	defer stopChild()
	cause := context.Canceled
	cancel(cause)
	<-child.Done()
	assert.ErrorIs(t, context.Cause(ctx), cause)

	if !raceEnabled { // the race detector's instrumentation allocates
		assert.Equal(t, 1.0, testing.AllocsPerRun(100, func() { sinkCtx = reconciling(parent, ref) }))
	}
	assert.Zero(t, testing.AllocsPerRun(100, func() { _, _ = reconciledBy(ctx) }))
}
