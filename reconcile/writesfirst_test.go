package reconcile_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// A step whose Do writes the object first (WritesFirst) is taken once
// across replicas deciding on the same version, as a step the claim's
// version check guards is, and the claim reads no metadata for it: the
// write is the check. Each replica's snapshot is read before any takes the
// step, so every one but the first meets a moved object under the claim.
func TestExecute_AStepThatWritesFirstNeedsNoVersionCheck(t *testing.T) {
	ctx := context.Background()
	shared := memory.New()
	var metaReads atomic.Int32
	counted := storecount.New(shared, storecount.WithObserver(func(op storecount.Op, _ meta.Ref) {
		if op == storecount.GetMeta {
			metaReads.Add(1)
		}
	}))
	fake := clock.NewFake(time.Unix(1e9, 0))
	obj := object("challenge")
	require.NoError(t, shared.Create(ctx, obj))

	const replicas = 8
	snaps := make([]*secret.Secret, replicas)
	for i := range snaps {
		snaps[i] = object("")
		require.NoError(t, shared.Get(ctx, meta.RefOf(obj), snaps[i]))
	}
	var posts atomic.Int32
	var wg sync.WaitGroup
	results := make([]error, replicas)
	for i := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := reconcile.Deps{Store: counted, Clock: fake, Events: &recorder{}, Owner: string(rune('a' + i))}
			snap := snaps[i]
			p := reconcile.Plan{Object: snap, Effect: &reconcile.Effect{Name: "accept", WritesFirst: true,
				Claim: &reconcile.Claim{Name: "accept:challenge", TTL: time.Minute, Busy: time.Second},
				Do: func(ctx context.Context) error {
					snap.ObjectMeta.Annotations = map[string]string{"accepting": "yes"}
					if err := counted.Update(ctx, snap); err != nil {
						return err
					}
					posts.Add(1)
					return nil
				}}}
			_, results[i] = reconcile.Execute(ctx, d, p)
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(1), posts.Load(), "the step is taken once")
	for _, err := range results {
		if err != nil {
			assert.ErrorIs(t, err, store.ErrConflict)
		}
	}
	assert.Zero(t, metaReads.Load(), "metadata reads under the claims")
}
