package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
)

// Replicas sharing a Store race for every ready order; the finalize claim
// and the intent recorded before the POST make the CA see exactly one
// finalize (and one newOrder) per order.
func TestACME_ReplicasFinalizeEachOrderOnce(t *testing.T) {
	const replicas, certs = 3, 12
	h := startACME(t, acmeSetup{acmeOpts: []acmetest.Option{acmetest.WithAlwaysValid()}})
	for range replicas - 1 {
		cfg := h.cfg
		cfg.Store = h.st
		m, err := certflow.New(cfg)
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(h.ctx)
		done := make(chan error, 1)
		go func() { done <- m.Run(ctx) }()
		t.Cleanup(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Errorf("replica did not stop")
			}
		})
	}
	require.NoError(t, h.m.Apply(h.ctx, h.acme.Issuer("default", "acme")))
	refs := make([]meta.Ref, certs)
	for i := range refs {
		crt := testrig.ACMECertificate("default", fmt.Sprintf("r-%d", i), "acme", fmt.Sprintf("r-%d.example.test", i))
		require.NoError(t, h.m.Apply(h.ctx, crt))
		refs[i] = meta.RefOf(crt)
	}
	for _, ref := range refs {
		h.waitReady(ref)
	}
	t.Logf("%d replicas, %d certificates: %d newOrder, %d finalize POSTs, %d orders created",
		replicas, certs, h.acme.Requests(acmetest.EndpointNewOrder), h.acme.Requests(acmetest.EndpointFinalize), h.acme.OrderCount())
	assert.Equal(t, certs, h.acme.OrderCount(), "one ACME order per certificate")
	assert.Equal(t, certs, h.acme.Requests(acmetest.EndpointNewOrder), "one newOrder per order")
	assert.Equal(t, certs, h.acme.Requests(acmetest.EndpointFinalize), "one finalize per order")
}
