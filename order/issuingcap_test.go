package order

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
)

// A processing order whose CA asked, in a Retry-After, to wait past
// IssuingTimeout: the hard cap still holds. The next visit comes at the
// cap, not at the CA's time, and there the order fails without asking the
// CA (nothing is sent before its Retry-After). Past the cap with the CA's
// time gone by, the order is read as before: a certificate issued in the
// meantime is still downloaded.
func TestIssuingTimeoutCapsARetryAfterPastIt(t *testing.T) {
	created := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	const issuing = 24 * time.Hour
	capAt := created.Add(issuing)
	p := policy{timeout: 10 * time.Minute, issuingTimeout: issuing, pendingPoll: 5 * time.Second, noSolverRetry: time.Minute}
	acmeCfg := &issuer.ACMEIssuer{Solvers: []solver.Config{{HTTP01: &solver.HTTP01Config{}}}}
	order := func(state State, finalizing bool, notBefore time.Time) Order {
		return Order{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "o", UID: "u1", CreationTime: &created},
			Spec:   Spec{Request: testCSR(t, "a.example.test", "a.example.test")},
			Status: Status{URL: "https://ca/order/1", FinalizeURL: "https://ca/finalize/1", State: state, Finalizing: finalizing, NotBefore: &notBefore}}
	}
	decide := func(o Order, now time.Time) decision {
		return p.decide(snapshot{Order: o, Issuer: meta.Ref{Kind: meta.KindIssuer, Namespace: "ns", Name: "acme"}, ACME: acmeCfg, Now: now})
	}
	for _, tc := range []struct {
		name       string
		state      State
		finalizing bool
	}{{"processing", StateProcessing, false}, {"finalize on record", StateReady, true}} {
		t.Run(tc.name, func(t *testing.T) {
			asked := created.Add(30 * time.Hour) // the CA's Retry-After, past the cap

			d := decide(order(tc.state, tc.finalizing, asked), created.Add(time.Hour))
			assert.Equal(t, stepNone, d.step, "nothing sent before the CA's time")
			assert.Equal(t, capAt, d.plan.Next, "looked at again at the cap, not at the CA's time")

			d = decide(order(tc.state, tc.finalizing, asked), capAt)
			assert.Equal(t, stepNone, d.step, "the CA is not asked before its time")
			require.True(t, d.plan.Write)
			o := d.plan.Object.(*Order)
			assert.Equal(t, StateErrored, o.Status.State)
			assert.False(t, o.Status.Finalizing)
			assert.Contains(t, o.Status.Reason, "order not valid within 24h0m0s")
			assert.Contains(t, o.Status.Reason, "the next request to the CA was not due before 2026-01-03T06:00:00Z")
			require.Len(t, d.plan.Events, 1)
			assert.Equal(t, ReasonTimeout, d.plan.Events[0].Reason)

			d = decide(order(tc.state, tc.finalizing, capAt.Add(-time.Minute)), capAt.Add(time.Minute))
			assert.Equal(t, stepGetOrder, d.step, "the CA's time has passed: its answer decides, as before")
		})
	}

	// A Retry-After within the cap is waited out in full.
	within := created.Add(2 * time.Hour)
	d := decide(order(StateProcessing, false, within), created.Add(time.Hour))
	assert.Equal(t, within, d.plan.Next)
}
