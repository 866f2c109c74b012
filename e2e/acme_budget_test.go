package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
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
	departures := &departureLog{}
	h := startACME(t, acmeSetup{
		acmeOpts: []acmetest.Option{acmetest.WithAlwaysValid(),
			acmetest.WithFaults(acmetest.RateLimited(acmetest.EndpointNewOrder, 10, retryAfter))},
		config:    func(c *certflow.Config) { c.Workers = 8; c.ACME.MaxInFlightPerAccount = slots },
		transport: departures.wrap,
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
	var atCA int
	for _, r := range log {
		if r.At.After(limited) && r.At.Before(limited.Add(retryAfter)) {
			atCA++
		}
	}
	// Counted from when the 429 reached the client, not the CA: until its
	// answer has been read, the client cannot know (on a loaded machine the
	// other slot's requests may come and go meanwhile). From then on only
	// requests that had passed the account's gate before it may still
	// leave: one per slot at most, since a slot's next request meets the
	// gate. Counting them, not timing them, keeps the bound honest.
	seen, left := departures.after429(retryAfter)
	require.False(t, seen.IsZero(), "the client read the 429")
	t.Logf("requests of the account in the %v after the client read the 429: %d (bound: %d in flight); at the CA after it sent the 429: %d; %d requests in all",
		retryAfter, len(left), slots, atCA, len(log))
	assert.LessOrEqual(t, len(left), slots, "no request of the rate-limited account before its Retry-After, but those already past its gate: %v", left)
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
			h.awaitStore("an event names the CA's problem", found)
			assert.Contains(t, n.Message, "serverInternal")
		})
	}
}

// departureLog records when each request left the client for the CA and
// when the client first read a 429 answer.
type departureLog struct {
	mu     sync.Mutex
	left   []time.Time
	got429 time.Time
}

func (d *departureLog) wrap(base http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		d.mu.Lock()
		d.left = append(d.left, time.Now())
		d.mu.Unlock()
		res, err := base.RoundTrip(req)
		if err == nil && res.StatusCode == http.StatusTooManyRequests {
			d.mu.Lock()
			if d.got429.IsZero() {
				d.got429 = time.Now()
			}
			d.mu.Unlock()
		}
		return res, err
	})
}

// after429 returns when the client first read a 429, and the departures
// in the window of length w from then.
func (d *departureLog) after429(w time.Duration) (seen time.Time, left []time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, at := range d.left {
		if at.After(d.got429) && at.Before(d.got429.Add(w)) {
			left = append(left, at)
		}
	}
	return d.got429, left
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
