package reconcile_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// An effect that defers its outcome (reconcile.Defer, as is or wrapped)
// is not written: the Store keeps the object as the plan wrote it, the
// outcome stays in the plan's Object, and ExecuteOutcome reports it as
// Deferred, with no error and Next as the effect asked (now when zero). An
// Observer told "err" would count a step that went as planned as failed.
func TestExecuteOutcome_ADeferredOutcomeIsNotWrittenAndIsNoError(t *testing.T) {
	later := time.Unix(2e9, 0)
	for _, tc := range []struct {
		name     string
		answer   error
		wantNext func(now time.Time) time.Time
	}{
		{"at once", reconcile.Defer(time.Time{}), func(now time.Time) time.Time { return now }},
		{"at a time", reconcile.Defer(later), func(time.Time) time.Time { return later }},
		{"wrapped", fmt.Errorf("challenge: poll: %w", reconcile.Defer(later)), func(time.Time) time.Time { return later }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			d, _ := deps(t, "a")
			obj := object("obj")
			require.NoError(t, d.Store.Create(ctx, obj))
			stored := obj.ObjectMeta.ResourceVersion
			out, err := reconcile.ExecuteOutcome(ctx, d, reconcile.Plan{Object: obj, Effect: &reconcile.Effect{
				Name: "self-check",
				Do: func(context.Context) error {
					obj.ObjectMeta.Labels = map[string]string{"checked": "yes"}
					return tc.answer
				},
			}})
			require.NoError(t, err)
			assert.True(t, out.Deferred)
			assert.Equal(t, tc.wantNext(d.Clock.Now()), out.Next)
			assert.Equal(t, "yes", obj.ObjectMeta.Labels["checked"], "the outcome is in the plan's Object")
			assert.Equal(t, stored, obj.ObjectMeta.ResourceVersion)
			got := object("")
			require.NoError(t, d.Store.Get(ctx, meta.RefOf(obj), got))
			assert.Equal(t, stored, got.ObjectMeta.ResourceVersion, "not written")
			assert.Empty(t, got.ObjectMeta.Labels)
		})
	}
}

// A stored outcome is not Deferred; a claim lost while the step ran is an
// error even when the step deferred its outcome, so nothing is written
// later on a claim another owner may hold by then.
func TestExecuteOutcome_DeferredOnlyWhenDeferredAndTheClaimHeld(t *testing.T) {
	ctx := context.Background()
	d, _ := deps(t, "a")
	obj := object("obj")
	require.NoError(t, d.Store.Create(ctx, obj))
	out, err := reconcile.ExecuteOutcome(ctx, d, reconcile.Plan{Object: obj, Effect: &reconcile.Effect{
		Name: "accept", Do: func(context.Context) error { return nil },
	}})
	require.NoError(t, err)
	assert.False(t, out.Deferred, "stored")

	st := &losingStore{Store: memory.New(), lost: make(chan struct{})}
	d.Store = st
	obj = object("obj")
	require.NoError(t, st.Create(ctx, obj))
	out, err = reconcile.ExecuteOutcome(ctx, d, reconcile.Plan{Object: obj, Effect: &reconcile.Effect{
		Name:  "read authorizations",
		Claim: &reconcile.Claim{Name: "step", TTL: time.Hour, Busy: time.Second},
		Do: func(ctx context.Context) error {
			close(st.lost) // lost while the step runs
			<-ctx.Done()
			return reconcile.Defer(time.Time{})
		},
	}})
	require.ErrorIs(t, err, store.ErrLeaseLost)
	assert.False(t, out.Deferred)
}
