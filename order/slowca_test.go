package order_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
)

// A CA slower than the claim's lease must not make newOrder's outcome get
// lost: the order URL is recorded as soon as the CA answers newOrder, and
// the claim lasts as long as the call it guards. (Before: the authorization
// reads ran in the same claim, its context ended, the outcome was dropped
// and every visit opened another ACME order.)
func TestSlowAuthorizationsOpenOneACMEOrder(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	e := newEnv(ctx, t, envConfig{
		orderOpts: order.Options{LockTTL: 400 * time.Millisecond},
		acmeOpts: []acmetest.Option{acmetest.WithFaults(acmetest.Fault{
			Endpoint: acmetest.EndpointAuthz, Nth: 1, Repeat: -1, Kind: acmetest.FaultDelay, Delay: 500 * time.Millisecond})},
	})
	ref := e.newOrder(ctx, "slow-authz.example.test")
	for range 3 {
		_, err := e.orders.Reconcile(ctx, ref)
		if err != nil {
			t.Logf("reconcile: %v", err)
		}
	}
	assert.Equal(t, 1, e.srv.Requests(acmetest.EndpointNewOrder), "one newOrder POST")
	assert.Equal(t, 1, e.srv.OrderCount())
	o := e.getOrder(ctx, ref)
	assert.NotEmpty(t, o.Status.URL)
	assert.NotEmpty(t, o.Status.FinalizeURL)
	require.Len(t, o.Status.Authorizations, 1)
	assert.Equal(t, order.StatePending, o.Status.Authorizations[0].InitialState)
	e.settle(ctx, meta.RefOf(e.challenges(ctx, ref)[0]))
}

// The look at the order that follows a finalize (read the order, download
// the chain) fits its claim however LockTTL was set, so a CA slower than
// the lease cannot keep the finalized order from being downloaded.
func TestSlowCAStillDownloadsTheFinalizedOrder(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	slow := func(ep acmetest.Endpoint) acmetest.Fault {
		return acmetest.Fault{Endpoint: ep, Nth: 1, Repeat: -1, Kind: acmetest.FaultDelay, Delay: 500 * time.Millisecond}
	}
	e := newEnv(ctx, t, envConfig{
		orderOpts: order.Options{LockTTL: 400 * time.Millisecond},
		acmeOpts:  []acmetest.Option{acmetest.WithFaults(slow(acmetest.EndpointOrder), slow(acmetest.EndpointCertificate))},
	})
	ref := e.newOrder(ctx, "slow-finalize.example.test")
	got := e.drive(ctx, ref, e.orders, e.chals)
	require.Equal(t, order.StateValid, got.Status.State, got.Status.Reason)
	assert.NotEmpty(t, got.Status.Certificate)
	assert.Equal(t, 1, e.srv.Requests(acmetest.EndpointFinalize), "one finalize")
}

// An order whose finalize reached the CA is not failed by the local
// timeout: the CA is asked, and the certificate it issued is downloaded
// (failing it would issue a second certificate for the same names later).
func TestTimeoutAfterFinalizeAsksTheCA(t *testing.T) {
	for _, tc := range []struct {
		name   string
		posted bool // the finalize reached the CA
		want   order.State
	}{
		{"the CA issued: download", true, order.StateValid},
		{"the finalize never reached the CA: time out", false, order.StateErrored},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t, 60*time.Second)
			clk := clock.NewFake(time.Now())
			e := newEnv(ctx, t, envConfig{clk: clk, acmeOpts: []acmetest.Option{acmetest.WithAlwaysValid()}})
			ref := e.readyOrder(ctx, t, "late.example.test")
			// A finalize on record (its outcome never stored), maybe sent.
			o := e.getOrder(ctx, ref)
			o.Status.Finalizing = true
			require.NoError(t, e.st.Update(ctx, o))
			if tc.posted {
				csr, err := pki.ParseCSR(o.Spec.Request)
				require.NoError(t, err)
				ao, err := e.cl.GetOrder(ctx, o.Status.URL)
				require.NoError(t, err)
				_, _, err = e.cl.CreateCertFromOrder(ctx, ao, csr.Raw, true)
				require.NoError(t, err)
			}
			clk.Advance(11 * time.Minute) // past the order's Timeout
			for i := 0; !e.getOrder(ctx, ref).Status.State.IsFinal(); i++ {
				require.Less(t, i, 10)
				_, err := e.orders.Reconcile(ctx, ref)
				require.NoError(t, err)
			}
			got := e.getOrder(ctx, ref)
			require.Equal(t, tc.want, got.Status.State, got.Status.Reason)
			assert.Equal(t, 1, e.srv.Requests(acmetest.EndpointFinalize)+map[bool]int{true: 0, false: 1}[tc.posted],
				"no finalize is sent past the timeout")
			if tc.posted {
				assert.NotEmpty(t, got.Status.Certificate)
			} else {
				assert.Contains(t, got.Status.Reason, "order not valid within 10m0s")
				assert.True(t, e.events.has(ref, order.ReasonTimeout))
			}
		})
	}
}
