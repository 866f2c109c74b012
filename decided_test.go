package certflow

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
)

// TestManager_OwnWriteDecidedOnNeedsNoVisitButOneNotDecidedOnGetsIt: a
// reconciler that writes and decides again on what it wrote in the same
// visit is not visited again for that write; one that writes and returns
// is, until a decision sees its last write. Both run through a real
// Manager, its watch and its queue.
func TestManager_OwnWriteDecidedOnNeedsNoVisitButOneNotDecidedOnGetsIt(t *testing.T) {
	var mu sync.Mutex
	visits := map[string]int{}
	var deps reconcile.Deps
	// Each visit stamps the certificate until it holds 2 stamps; "settles"
	// decides again on its write at once, "returns" leaves that to the next
	// visit.
	steps := reconcileFunc(func(ctx context.Context, ref meta.Ref) (time.Time, error) {
		mu.Lock()
		visits[ref.Name]++
		mu.Unlock()
		c := &certificate.Certificate{}
		if err := deps.Store.Get(ctx, ref, c); err != nil {
			return time.Time{}, nil
		}
		for {
			p := reconcile.Plan{Object: c}
			if n := len(c.ObjectMeta.Annotations["stamps"]); n < 2 {
				c.ObjectMeta.Annotations = map[string]string{"stamps": c.ObjectMeta.Annotations["stamps"] + "x"}
				p.Write = true
			}
			done := deps.Observe(meta.KindCertificate, nil, &p)
			next, err := reconcile.Execute(ctx, deps, p)
			done(next, err)
			if err != nil || !p.Write || ref.Name != "settles" {
				return next, err
			}
		}
	})
	h := startHooked(t, nil, func(m *Manager) {
		deps = m.deps
		m.reconcilers[meta.KindCertificate] = steps
	})
	for _, name := range []string{"settles", "returns"} {
		require.NoError(t, h.store.Create(h.ctx, testrig.Certificate("default", name, "ca", name+".example.test")))
	}
	h.waitUntil("both hold two stamps", func() bool {
		for _, name := range []string{"settles", "returns"} {
			c := &certificate.Certificate{}
			if h.store.Get(h.ctx, testrig.CertRef("default", name), c) != nil || c.ObjectMeta.Annotations["stamps"] != "xx" {
				return false
			}
		}
		return true
	})
	// A change made after every write above is observed after them: once
	// its visit is over and the queue is idle, every visit they caused has
	// happened.
	require.NoError(t, h.store.Create(h.ctx, testrig.Certificate("default", "marker", "ca", "marker.example.test")))
	h.waitUntil("the marker holds two stamps", func() bool {
		c := &certificate.Certificate{}
		return h.store.Get(h.ctx, testrig.CertRef("default", "marker"), c) == nil && c.ObjectMeta.Annotations["stamps"] == "xx"
	})
	select {
	case <-h.m.queue.idle():
	case <-h.ctx.Done():
		t.Fatal("the queue never went idle")
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 1, visits["settles"], "created, stamped twice and decided on in one visit")
	assert.Equal(t, 3, visits["returns"], "one visit per write no decision saw, the last one deciding there is nothing to do")
}
