package order_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/order"
)

// A replica recorded its intent to finalize, took the finalize claim and
// died. Nobody finalizes while the claim holds; whoever takes it over once
// it expired reads the order first and finalizes only if the CA never saw
// the first finalize.
func TestDeadFinalizerIsTakenOverByReadingTheOrder(t *testing.T) {
	for _, tc := range []struct {
		name       string
		postedOnce bool // the dead replica's finalize reached the CA
	}{
		{"finalize never sent", false},
		{"finalize sent before the crash", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t, 60*time.Second)
			clk := clock.NewFake(time.Now())
			e := newEnv(ctx, t, envConfig{clk: clk, acmeOpts: []acmetest.Option{acmetest.WithAlwaysValid()}})
			ref := e.readyOrder(ctx, t, "takeover.example.test")

			// The dead replica: intent on record, claim taken, maybe posted.
			o := e.getOrder(ctx, ref)
			o.Status.Finalizing = true
			require.NoError(t, e.st.Update(ctx, o))
			_, err := e.st.Acquire(ctx, "acme-finalize:"+o.ObjectMeta.UID, "dead-replica", time.Minute)
			require.NoError(t, err)
			if tc.postedOnce {
				csr, err := pki.ParseCSR(o.Spec.Request)
				require.NoError(t, err)
				ao, err := e.cl.GetOrder(ctx, o.Status.URL)
				require.NoError(t, err)
				_, _, err = e.cl.CreateCertFromOrder(ctx, ao, csr.Raw, true)
				require.NoError(t, err)
			}
			orderReads := e.srv.Requests(acmetest.EndpointOrder)

			next, err := e.orders.Reconcile(ctx, ref)
			require.NoError(t, err)
			assert.Equal(t, clk.Now().Add(250*time.Millisecond), next, "the claim is held: look again after LockRetry")
			assert.Equal(t, orderReads, e.srv.Requests(acmetest.EndpointOrder), "nothing sent while another replica holds the claim")

			clk.Advance(2 * time.Minute) // the dead replica's claim expires
			for i := 0; !e.getOrder(ctx, ref).Status.State.IsFinal(); i++ {
				require.Less(t, i, 10)
				_, err = e.orders.Reconcile(ctx, ref)
				require.NoError(t, err)
			}
			got := e.getOrder(ctx, ref)
			require.Equal(t, order.StateValid, got.Status.State, got.Status.Reason)
			assert.NotEmpty(t, got.Status.Certificate)
			assert.False(t, got.Status.Finalizing)
			assert.Equal(t, 1, e.srv.Requests(acmetest.EndpointFinalize), "exactly one finalize reached the CA")
		})
	}
}
