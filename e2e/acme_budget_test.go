package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/store"
)

// A 429 limits the account at the CA, not one order: after a newOrder is
// answered 429 with Retry-After 3, no request of that account (any order,
// any challenge) reaches the CA before the 3 seconds are over, while 50
// certificates are waiting to be issued.
func TestACME_RateLimitHoldsTheWholeAccount(t *testing.T) {
	const certs = 50
	const retryAfter = 3 * time.Second
	const slots = 2
	h := startACME(t, acmeSetup{
		acmeOpts: []acmetest.Option{acmetest.WithAlwaysValid(),
			acmetest.WithFaults(acmetest.RateLimited(acmetest.EndpointNewOrder, 10, retryAfter))},
		config: func(c *certflow.Config) { c.Workers = 8; c.ACME.MaxInFlightPerAccount = slots },
	})
	require.NoError(t, h.m.Apply(h.ctx, h.acme.Issuer("default", "acme")))
	refs := make([]meta.Ref, certs)
	for i := range refs {
		crt := testrig.ACMECertificate("default", fmt.Sprintf("rl-%d", i), "acme", fmt.Sprintf("rl-%d.example.test", i))
		require.NoError(t, h.m.Apply(h.ctx, crt))
		refs[i] = meta.RefOf(crt)
	}
	for _, ref := range refs {
		h.waitReady(ref)
	}

	log := h.acme.RequestLog()
	var limited time.Time
	for _, r := range log {
		if r.Fault == acmetest.FaultRateLimited {
			limited = r.At
			break
		}
	}
	require.False(t, limited.IsZero(), "the 429 was sent")
	// Requests the account had on the wire when the 429 reached it still
	// arrive after it: one per slot of the account at most, since a slot's
	// next request meets the gate. Counting them, not timing them, keeps
	// the bound honest on a loaded machine.
	var inWindow []acmetest.Request
	for _, r := range log {
		if r.At.After(limited) && r.At.Before(limited.Add(retryAfter)) {
			inWindow = append(inWindow, r)
		}
	}
	t.Logf("requests of the account in the %v window after the 429: %d (bound: %d in flight); %d requests in all",
		retryAfter, len(inWindow), slots, len(log))
	assert.LessOrEqual(t, len(inWindow), slots, "no request of the rate-limited account before its Retry-After, but those already in flight: %v", inWindow)
	assert.Equal(t, certs, h.acme.OrderCount(), "every certificate was issued from one order")
}

// A CA answering 5xx persistently to one step shows on the Order: its
// reason and an event name the step and the CA's problem type and detail,
// instead of "waiting for 1 challenge(s)"; and each visit sends one request,
// backing off between visits, instead of retrying inside the call.
func TestACME_PersistentServerErrorShowsOnTheOrder(t *testing.T) {
	for _, tc := range []struct {
		endpoint acmetest.Endpoint
		op       string
	}{
		{acmetest.EndpointNewOrder, "new order"},
		{acmetest.EndpointAuthz, "get authorization"},
		{acmetest.EndpointFinalize, "finalize"},
		{acmetest.EndpointCertificate, "download certificate"},
	} {
		t.Run(string(tc.endpoint), func(t *testing.T) {
			t.Parallel()
			fault := acmetest.Fault{Endpoint: tc.endpoint, Nth: 1, Repeat: -1, Kind: acmetest.FaultServerInternal}
			h := startACME(t, acmeSetup{acmeOpts: []acmetest.Option{acmetest.WithAlwaysValid(), acmetest.WithFaults(fault)}})
			require.NoError(t, h.m.Apply(h.ctx, h.acme.Issuer("default", "acme")))
			crt := testrig.ACMECertificate("default", "five", "acme", "five.example.test")
			require.NoError(t, h.m.Apply(h.ctx, crt))

			var o *order.Order
			h.awaitStore("the order shows the CA's problem twice in a row", func() bool {
				orders, err := store.ListOf[order.Order](h.ctx, h.st, store.ListOptions{Kind: meta.KindOrder, Namespace: "default"})
				require.NoError(t, err)
				if len(orders) != 1 {
					return false
				}
				o = orders[0]
				p := o.Status.Problem
				return p != nil && p.Op == tc.op && p.Attempts >= 2
			})
			assert.Contains(t, o.Status.Reason, tc.op+": urn:ietf:params:acme:error:serverInternal: acmetest: injected serverInternal")
			assert.False(t, o.Status.State.IsFinal(), "a 5xx is retried")
			assert.Equal(t, 500, o.Status.Problem.HTTPStatus)
			// One request per visit: the count at the CA follows the
			// recorded attempts (one more may be on its way).
			sent := h.acme.Requests(tc.endpoint)
			assert.GreaterOrEqual(t, sent, o.Status.Problem.Attempts)
			assert.LessOrEqual(t, sent, o.Status.Problem.Attempts+1, "no retry inside a visit")

			// Events are stored off the reconcile path: the first failure's
			// is awaited, not assumed.
			var n *certflow.StatusNode
			found := func() bool {
				st, err := h.m.Status(h.ctx, meta.RefOf(crt))
				require.NoError(t, err)
				orders := nodesOf(st, meta.KindOrder)
				require.NotEmpty(t, orders)
				n = orders[0]
				for _, e := range n.Events {
					if e.Reason == order.ReasonCAError && strings.Contains(e.Message, "serverInternal") && strings.HasPrefix(e.Message, tc.op) {
						return true
					}
				}
				return false
			}
			require.Eventually(t, found, 10*time.Second, 5*time.Millisecond, "an event names the CA's problem")
			assert.Contains(t, n.Message, "serverInternal")
		})
	}
}
