package request

import (
	"crypto/x509/pkix"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
)

// TestDecide_Fallback is the decision table of a request whose Certificate
// has another issuer after this one's (AnnotationFallback): which failures
// pass the issuer over (and why), and which fail or wait as without a
// fallback.
func TestDecide_Fallback(t *testing.T) {
	key := testKey(t)
	csr := testCSR(t, key, pki.CSRTemplate{Subject: pkix.Name{CommonName: "a.example.com"}, DNSNames: []string{"a.example.com"}})
	withFallback := func() *CertificateRequest {
		r := approvedReq(csr)
		r.ObjectMeta.Annotations = map[string]string{AnnotationFallback: "true"}
		return r
	}
	later := testNow.Add(time.Hour)
	// orderProblem is an Order as the order reconciler leaves it after a
	// failed call: final when the CA refused for good, else waiting.
	orderProblem := func(state order.State, p order.Problem) *order.Order {
		o := orderWith(state, nil)
		o.Status.Problem = &p
		if !state.IsFinal() {
			o.Status.NotBefore = &later
		}
		return o
	}
	rateLimited := order.Problem{Op: "new order", Type: acmeproto.ProblemRateLimited, Detail: "too many", HTTPStatus: http.StatusTooManyRequests, Attempts: 1}
	bare429 := order.Problem{Op: "new order", HTTPStatus: http.StatusTooManyRequests, Attempts: 1}
	rejected := order.Problem{Op: "new order", Type: acmeproto.ProblemRejectedIdentifier, Detail: "policy forbids", HTTPStatus: 400, Attempts: 1, Refused: true}
	unsupported := order.Problem{Op: "new order", Type: acmeproto.ProblemUnsupportedIdentifier, Detail: "no IPs", HTTPStatus: 400, Attempts: 1, Refused: true}
	caa := order.Problem{Op: "validate", Type: acmeproto.ProblemCAA, Detail: "CAA forbids", Attempts: 1, Refused: true}
	noAnswer := func(n int) order.Problem {
		return order.Problem{Op: "new order", Detail: "dial tcp 127.0.0.1:1: connection refused", Attempts: n}
	}
	serverError := order.Problem{Op: "new order", Type: acmeproto.ProblemServerInternal, Detail: "oops", HTTPStatus: 503, Attempts: UnreachableAttempts}
	badNonce := order.Problem{Op: "new order", Type: acmeproto.ProblemBadNonce, HTTPStatus: 400, Attempts: 5}
	accountGone := order.Problem{Op: "new order", Type: acmeproto.ProblemAccountDoesNotExist, HTTPStatus: 400, Attempts: 5}
	malformed := order.Problem{Op: "new order", Type: acmeproto.ProblemMalformed, Detail: "bad CSR", HTTPStatus: 400, Attempts: 1, Refused: true}
	unauthorized := order.Problem{Op: "validate", Type: acmeproto.ProblemUnauthorized, Detail: "404 at /.well-known", Attempts: 1, Refused: true}
	notRegistered := &issuer.Issuer{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "iss"}, Spec: *acmeIssuer().IssuerSpec()}
	notRegistered.Status.Conditions.Set(meta.Condition{Type: meta.ConditionReady, Status: meta.ConditionFalse,
		Reason: issuer.ReasonErrRegisterACMEAccount, Message: "connection refused"})
	notLookedAt := &issuer.Issuer{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "iss"}, Spec: *acmeIssuer().IssuerSpec()}

	tests := []struct {
		name     string
		req      *CertificateRequest
		issuer   issuer.Object
		order    *order.Order
		fallback meta.Reason // Status.Fallback.Reason; "" for none
		msg      string      // in Status.Fallback.Message
		reason   meta.Reason // the Ready condition's reason
		final    bool
	}{
		{name: "rate limited: passed over at once, not waiting for Retry-After", req: withFallback(),
			order: orderProblem(order.StatePending, rateLimited), fallback: ReasonRateLimited, msg: "new order: " + acmeproto.ProblemRateLimited + ": too many", reason: ReasonFailed, final: true},
		{name: "429 without a problem type is rate limited", req: withFallback(),
			order: orderProblem(order.StatePending, bare429), fallback: ReasonRateLimited, reason: ReasonFailed, final: true},
		{name: "rate limited, last issuer: waits for Retry-After", req: approvedReq(csr),
			order: orderProblem(order.StatePending, rateLimited), reason: ReasonPending},
		{name: "rejectedIdentifier: passed over", req: withFallback(),
			order: orderProblem(order.StateErrored, rejected), fallback: ReasonIdentifierRejected, msg: "policy forbids", reason: ReasonFailed, final: true},
		{name: "rejectedIdentifier, last issuer: fails as an order failure", req: approvedReq(csr),
			order: orderProblem(order.StateErrored, rejected), reason: ReasonFailed, final: true},
		{name: "unsupportedIdentifier: passed over", req: withFallback(),
			order: orderProblem(order.StateErrored, unsupported), fallback: ReasonIdentifierRejected, reason: ReasonFailed, final: true},
		{name: "caa at validation: passed over", req: withFallback(),
			order: orderProblem(order.StateInvalid, caa), fallback: ReasonIdentifierRejected, msg: "validate: " + acmeproto.ProblemCAA, reason: ReasonFailed, final: true},
		{name: "no answer, below the attempts: retried at the same CA", req: withFallback(),
			order: orderProblem(order.StatePending, noAnswer(UnreachableAttempts-1)), reason: ReasonPending},
		{name: "no answer on every attempt: unreachable", req: withFallback(),
			order: orderProblem(order.StatePending, noAnswer(UnreachableAttempts)), fallback: ReasonUnreachable, msg: "connection refused (3 attempts)", reason: ReasonFailed, final: true},
		{name: "5xx on every attempt: unreachable", req: withFallback(),
			order: orderProblem(order.StatePending, serverError), fallback: ReasonUnreachable, reason: ReasonFailed, final: true},
		{name: "unreachable after a finalize may have reached the CA: waits for its answer", req: withFallback(),
			order: func() *order.Order {
				o := orderProblem(order.StateProcessing, order.Problem{Op: "get order", Detail: "connection refused", Attempts: 5})
				o.Status.Finalizing = true
				return o
			}(), reason: ReasonPending},
		{name: "rate limited reading an order whose finalize may have reached the CA: waits", req: withFallback(),
			order: func() *order.Order {
				o := orderProblem(order.StateReady, order.Problem{Op: "get order", Type: acmeproto.ProblemRateLimited, HTTPStatus: http.StatusTooManyRequests, Attempts: 1})
				o.Status.Finalizing = true
				return o
			}(), reason: ReasonPending},
		{name: "rate limited downloading from a processing order: waits", req: withFallback(),
			order: orderProblem(order.StateProcessing, order.Problem{Op: "download certificate", HTTPStatus: http.StatusTooManyRequests, Attempts: 1}), reason: ReasonPending},
		{name: "unreachable while the CA says processing, no finalize of ours: waits", req: withFallback(),
			order: orderProblem(order.StateProcessing, noAnswer(UnreachableAttempts)), reason: ReasonPending},
		{name: "unreachable, last issuer: keeps retrying", req: approvedReq(csr),
			order: orderProblem(order.StatePending, noAnswer(10)), reason: ReasonPending},
		{name: "badNonce is the protocol, not the CA failing", req: withFallback(),
			order: orderProblem(order.StatePending, badNonce), reason: ReasonPending},
		{name: "accountDoesNotExist: the issuer registers again", req: withFallback(),
			order: orderProblem(order.StatePending, accountGone), reason: ReasonPending},
		{name: "malformed (our CSR): fails, no blind fallback", req: withFallback(),
			order: orderProblem(order.StateErrored, malformed), reason: ReasonFailed, final: true},
		{name: "challenge unauthorized (our solver): fails, no blind fallback", req: withFallback(),
			order: orderProblem(order.StateInvalid, unauthorized), reason: ReasonFailed, final: true},
		{name: "order valid: issued whatever an earlier call said", req: withFallback(),
			order: func() *order.Order { o := orderWith(order.StateValid, nil); o.Status.Problem = &rateLimited; return o }(), reason: ReasonPending},
		{name: "issuer failed to become Ready: passed over", req: withFallback(), issuer: notRegistered,
			fallback: ReasonIssuerNotReady, msg: "ErrRegisterACMEAccount: connection refused", reason: ReasonFailed, final: true},
		{name: "issuer not looked at yet: waited for", req: withFallback(), issuer: notLookedAt, reason: ReasonIssuerNotReady},
		{name: "issuer not Ready, last issuer: waited for", req: approvedReq(csr), issuer: notRegistered, reason: ReasonIssuerNotReady},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iss := tt.issuer
			if iss == nil {
				iss = acmeIssuer()
			}
			d := decide(Snapshot{Request: tt.req, Issuer: iss, Order: tt.order, Now: testNow}, time.Minute)
			req := d.plan.Object.(*CertificateRequest)
			assert.Nil(t, tt.req.Status.Fallback, "decide does not change its input")
			assert.Equal(t, tt.final, IsFinal(req), "final")
			c := ready(req)
			require.NotNil(t, c)
			assert.Equal(t, tt.reason, c.Reason)
			if tt.fallback == "" {
				assert.Nil(t, req.Status.Fallback)
				return
			}
			require.NotNil(t, req.Status.Fallback)
			assert.Equal(t, tt.fallback, req.Status.Fallback.Reason)
			assert.Contains(t, req.Status.Fallback.Message, tt.msg)
			assert.Contains(t, c.Message, "the Certificate tries its next issuer")
			require.NotNil(t, req.Status.FailureTime)
			require.Len(t, d.plan.Events, 1)
			assert.Equal(t, tt.fallback, d.plan.Events[0].Reason)
			assert.Equal(t, meta.EventWarning, d.plan.Events[0].Type)
		})
	}
}
