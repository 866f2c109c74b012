package order_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/order"
)

// A finalize that brings the certificate in the same step records one
// event, Complete, as cert-manager's orders controller does (v1.21.1
// pkg/controller/acmeorders/sync.go: "Complete", and no event for the
// finalize); one that leaves the order processing records Finalized, and
// Complete once the certificate comes.
func TestFinalizedEventOnlyWhenTheCertificateIsNotThereYet(t *testing.T) {
	for _, tc := range []struct {
		name string
		// failedLook: the CA answers finalize while still issuing and fails
		// the look at the order that follows, so the certificate comes in
		// a later visit.
		failedLook bool
		finalized  bool
	}{
		{"issued with the finalize", false, false},
		{"still processing after the finalize", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t, 60*time.Second)
			cfg := envConfig{}
			if tc.failedLook {
				cfg.acmeOpts = []acmetest.Option{acmetest.WithAsyncFinalize(), acmetest.WithFaults(acmetest.Fault{
					Endpoint: acmetest.EndpointOrder, Nth: 1, Kind: acmetest.FaultServerInternal})}
			}
			e := newEnv(ctx, t, cfg)
			ref := e.newOrder(ctx, "finalized.example.test")
			got := e.drive(ctx, ref, e.orders, e.chals)
			require.Equal(t, order.StateValid, got.Status.State, got.Status.Reason)
			assert.True(t, e.events.has(ref, order.ReasonComplete))
			assert.Equal(t, tc.finalized, e.events.has(ref, order.ReasonFinalized))
		})
	}
}
