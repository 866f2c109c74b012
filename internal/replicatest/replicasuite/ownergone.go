package replicasuite

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// NoCAStepForADeletedCertificate: replica B (the one replica process,
// cfg.Replicas is ignored) issues a Certificate and is held before step,
// its watch held too; replica A (a Manager in this process, on cfg.Parent)
// deletes the Certificate and is caught before collecting its request, so
// the request, its Order and Challenge are all still stored and only the
// Certificate at the top of the chain says the step is for nobody. B, let
// go with its stale view, must refuse the step (the CA is asked nothing)
// and collect the Order itself; once A's Delete ends and B's watch
// delivers, no request, Order or Challenge is left and the CA was asked
// nothing more.
func NoCAStepForADeletedCertificate(t *testing.T, cfg Config, step CAStep) {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	h := startHeld(t, ctx, cfg, step)

	a := &collectGate{Store: cfg.Parent, reached: make(chan struct{}), open: make(chan struct{})}
	ma, err := certflow.New(certflow.Config{Store: a, HTTPClient: h.CA.Client()})
	require.NoError(t, err)
	deleted := make(chan error, 1)
	go func() { deleted <- ma.Delete(ctx, meta.RefOf(h.crt)) }()
	select {
	case <-a.reached:
	case err := <-deleted:
		t.Fatalf("A's Delete ended before it collected the request: %v", err)
	case <-ctx.Done():
		t.Fatal("A never came to collect the Certificate's request")
	}
	require.True(t, h.gone(meta.RefOf(h.crt), h.crt.ObjectMeta.UID), "the Store shows the Certificate deleted")
	require.False(t, h.gone(meta.RefOf(h.order), h.order.ObjectMeta.UID), "and its Order not yet collected")
	require.NoError(t, h.Cluster.AwaitWatchHeld(ctx, 0, meta.RefOf(h.crt), string(store.Deleted)),
		"B's watch holds the deletion: B would learn of it, and has not")

	h.stepRefused()

	close(a.open)
	select {
	case err := <-deleted:
		require.NoError(t, err)
	case <-ctx.Done():
		t.Fatal("A's Delete did not return")
	}
	require.NoError(t, h.Cluster.ReleaseWatch(ctx, 0))
	testrig.Await(t, ctx, cfg.Parent, "no request, Order or Challenge left", func() bool {
		for _, k := range []meta.Kind{meta.KindCertificateRequest, meta.KindOrder, meta.KindChallenge} {
			res, err := cfg.Parent.List(ctx, store.ListOptions{Kind: k, Namespace: Namespace})
			require.NoError(t, err)
			if len(res.Items) > 0 {
				return false
			}
		}
		return true
	}, h.left)
	assert.Equal(t, h.before, h.counts(), "the CA was asked nothing more")
}

// NoCAStepForADeletedRequest: as NoCAStepForADeletedCertificate, but the
// hop deleted is in the middle of the chain: the Certificate's request,
// deleted by A (as A's Certificate reconciler deletes a request it
// abandons) while the Certificate stays. B, let go, refuses the step and
// collects the Order; once its watch delivers, it issues the Certificate
// again, the deleted request's Challenges are gone too, and none of them
// was accepted, nor the Order finalized, after B was held.
func NoCAStepForADeletedRequest(t *testing.T, cfg Config, step CAStep) {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	h := startHeld(t, ctx, cfg, step)

	reqs, err := cfg.Parent.List(ctx, store.ListOptions{Kind: meta.KindCertificateRequest, Namespace: Namespace})
	require.NoError(t, err)
	require.Len(t, reqs.Items, 1)
	require.NoError(t, cfg.Parent.Delete(ctx, reqs.Items[0].Ref, ""))
	require.NoError(t, h.Cluster.AwaitWatchHeld(ctx, 0, reqs.Items[0].Ref, string(store.Deleted)),
		"B's watch holds the deletion: B would learn of it, and has not")

	h.stepRefused()

	require.NoError(t, h.Cluster.ReleaseWatch(ctx, 0))
	h.AwaitReady([]*certificate.Certificate{h.crt})
	testrig.Await(t, ctx, cfg.Parent, "the deleted request's Order and Challenges collected", func() bool {
		if !h.gone(meta.RefOf(h.order), h.order.ObjectMeta.UID) {
			return false
		}
		for _, ch := range h.challenges {
			if !h.gone(meta.RefOf(ch), ch.ObjectMeta.UID) {
				return false
			}
		}
		return true
	}, h.left)
	assert.Equal(t, h.beforeOld, h.oldPosts(), "the deleted request's order was never finalized, its challenges never accepted, after B was held")
}
