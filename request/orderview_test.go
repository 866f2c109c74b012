package request

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
)

// TestOwnedOrderView_OnlyWhatTheRequestMirrors: steps of an Order that its
// request does not mirror (the authorizations read, a poll that found
// nothing new, its Challenges under way, the finalize intent while the
// state stays) leave the view as it was; what decideACME reads (state, a
// reason beyond the wait for Challenges, the chain, a problem that lets
// the Certificate try its next issuer) changes it.
func TestOwnedOrderView_OnlyWhatTheRequestMirrors(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(mutate func(o *order.Order)) any {
		o := &order.Order{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "r-1-abc"}}
		o.Status.State, o.Status.URL = order.StatePending, "https://ca/order/1"
		if mutate != nil {
			mutate(o)
		}
		return OwnedOrderView(o)
	}
	pending := at(nil)
	assert.NotNil(t, pending)
	for name, mutate := range map[string]func(o *order.Order){
		"authorizations read": func(o *order.Order) {
			o.Status.Authorizations = []order.Authorization{{URL: "https://ca/authz/1", Identifier: "a.test", InitialState: order.StatePending}}
		},
		"a poll that found nothing new": func(o *order.Order) { o.Status.Polls = 3 },
		"the finalize intent":           func(o *order.Order) { o.Status.Finalizing = true },
		"its Challenges under way":      func(o *order.Order) { o.Status.Reason = "waiting for 2 challenge(s)" },
		"a retried call's problem the request cannot act on": func(o *order.Order) {
			o.Status.Problem = &order.Problem{Op: "get order", Type: acmeproto.ProblemBadNonce, HTTPStatus: 400, Attempts: 1}
		},
	} {
		assert.Equal(t, pending, at(mutate), name)
	}
	for name, mutate := range map[string]func(o *order.Order){
		"state": func(o *order.Order) { o.Status.State = order.StateReady },
		"a holdup": func(o *order.Order) {
			o.Status.Reason = "get authorization: urn:ietf:params:acme:error:serverInternal (attempt 1; retrying at 2026-01-01T00:00:01Z)"
		},
		"no solver":                   func(o *order.Order) { o.Status.Reason = `no solver for "a.test"` },
		"valid without its chain yet": func(o *order.Order) { o.Status.State = order.StateValid },
		"rate limited": func(o *order.Order) {
			o.Status.Problem = &order.Problem{Op: "new order", Type: acmeproto.ProblemRateLimited, HTTPStatus: 429, Attempts: 1}
		},
		"rate limited until a time": func(o *order.Order) {
			o.Status.Problem = &order.Problem{Op: "new order", Type: acmeproto.ProblemRateLimited, HTTPStatus: 429, Attempts: 1}
			o.Status.NotBefore = &t0
		},
		"rejected identifier": func(o *order.Order) {
			o.Status.Problem = &order.Problem{Op: "new order", Type: acmeproto.ProblemRejectedIdentifier, HTTPStatus: 400, Attempts: 1, Refused: true}
		},
	} {
		assert.NotEqual(t, pending, at(mutate), name)
	}
	valid := func(chain string) any {
		return at(func(o *order.Order) { o.Status.State, o.Status.Certificate = order.StateValid, []byte(chain) })
	}
	assert.NotEqual(t, valid("chain A"), at(func(o *order.Order) { o.Status.State = order.StateValid }), "the chain arrived")
	assert.NotEqual(t, valid("chain A"), valid("chain B"), "another chain")
	assert.Equal(t, valid("chain A"), valid("chain A"))
	rateLimitedAt := func(retry time.Time) any {
		return at(func(o *order.Order) {
			o.Status.Problem = &order.Problem{Op: "new order", Type: acmeproto.ProblemRateLimited, HTTPStatus: 429, Attempts: 1}
			o.Status.NotBefore = &retry
		})
	}
	assert.NotEqual(t, rateLimitedAt(t0), rateLimitedAt(t0.Add(time.Minute)), "the CA's time moved")
	assert.Nil(t, OwnedOrderView(&CertificateRequest{}), "not an Order")
}
