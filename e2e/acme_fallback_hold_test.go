package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
)

// holdWindow is the first CA's Retry-After in these tests: long enough
// that everything they do happens within it on a machine however loaded.
// The CA counts it on the wall clock, which no fake clock moves, so it is
// a margin: these tests take 1-4 s under the race detector at load 12-18,
// and a window of a minute made them fail, not pass wrongly, past that.
// Ten minutes outlasts every wait of theirs (testrig.Context's five) and
// stays under the account hold's own cap (issuer's maxAccountHold, 15
// minutes), so the hold recorded is the CA's whole Retry-After. Nothing
// waits for it to end.
const holdWindow = 10 * time.Minute

// assertHoldEnds checks that at, the end of a hold recorded from the first
// CA's 429, is holdWindow after that answer: after a moment between start
// and now (to the second: Retry-After and the stored times are whole
// seconds).
func assertHoldEnds(t *testing.T, start, at time.Time) {
	t.Helper()
	assert.False(t, at.Before(start.Add(holdWindow-time.Second)), "hold ends at %s, before %s + Retry-After", at, start)
	assert.False(t, at.After(time.Now().Add(holdWindow+time.Second)), "hold ends at %s, after now + Retry-After", at)
}

// startHoldRig is startFallback whose first CA answers its first newOrder
// with 429 and a Retry-After of holdWindow (later ones succeed: any that
// reaches it issues), whose second CA has secondOpts, and whose Managers
// back off for backoff after a counted failure.
func startHoldRig(t *testing.T, backoff time.Duration, secondOpts ...acmetest.Option) *fallbackRig {
	t.Helper()
	h := startACME(t, acmeSetup{acmeOpts: secondOpts, config: func(c *certflow.Config) { c.BackoffMin, c.BackoffMax = backoff, backoff }})
	first := acmetest.NewServer(t, acmetest.WithHTTP01Port(h.acme.HTTPPort), acmetest.WithTLSALPN01Port(h.acme.TLSPort),
		acmetest.WithFaults(acmetest.RateLimited(acmetest.EndpointNewOrder, 1, holdWindow)))
	iss1 := h.acme.Issuer("default", "first")
	iss1.Spec.ACME.Server = first.DirectoryURL()
	require.NoError(t, h.m.Apply(h.ctx, iss1))
	require.NoError(t, h.m.Apply(h.ctx, h.acme.Issuer("default", "second")))
	return &fallbackRig{harness: h, first: first}
}

// restart replaces the Manager by a new one on the same Store, as a
// restarted process or another replica: nothing of the old one's memory
// (the ACME account's hold) survives.
func (r *fallbackRig) restart() {
	r.stopManager()
	r.startManager(r.st)
}

// assertHeld checks that c was issued by the second issuer, that the
// first one was passed over without a request while its CA's Retry-After
// ran, and that the first CA saw one newOrder, the one it answered 429.
func (r *fallbackRig) assertHeld(t *testing.T, c *certificate.Certificate, start time.Time) {
	t.Helper()
	require.Less(t, time.Since(start), holdWindow, "the test ran within the CA's Retry-After")
	require.NotNil(t, c.Status.IssuedBy)
	assert.Equal(t, "second", c.Status.IssuedBy.Name)
	var notSent bool
	for _, s := range c.Status.SkippedIssuers {
		if s.IssuerRef.Name == "first" && s.Request == "" {
			notSent = true
			assert.Equal(t, request.ReasonRateLimited, s.Reason)
			assert.Contains(t, s.Message, "not sent")
			require.NotNil(t, s.RetryAt)
		}
	}
	assert.True(t, notSent, "the first issuer was passed over without a request: %+v", c.Status.SkippedIssuers)
	assert.Equal(t, 1, r.first.Requests(acmetest.EndpointNewOrder), "the first CA was asked nothing within its Retry-After")
	assert.Zero(t, r.first.OrderCount())
}

// TestACME_Fallback_RetryAfterHeldAcrossRenewals: the first CA rate limits
// an issuance with a Retry-After; the Certificate is issued by the
// fallback. A renewal within the Retry-After, by a Manager that restarted
// meanwhile (so no account hold in memory helps), does not ask the first
// CA: the Certificate kept the CA's time.
func TestACME_Fallback_RetryAfterHeldAcrossRenewals(t *testing.T) {
	t.Parallel()
	start := time.Now()
	r := startHoldRig(t, time.Hour)
	c := r.issue(nil, r.certificate("renewed"))
	require.Equal(t, "second", c.Status.IssuedBy.Name)
	require.Equal(t, 1, r.first.Requests(acmetest.EndpointNewOrder))
	require.Len(t, c.Status.SkippedIssuers, 1)
	require.NotNil(t, c.Status.SkippedIssuers[0].RetryAt, "the skip keeps the CA's time")
	assertHoldEnds(t, start, *c.Status.SkippedIssuers[0].RetryAt)

	r.restart()
	ref := meta.RefOf(c)
	rn, err := r.m.Renew(r.ctx, ref)
	require.NoError(t, err)
	require.NoError(t, r.m.WaitReady(r.ctx, ref, certflow.ForRenewal(rn)))
	renewed := &certificate.Certificate{}
	require.NoError(t, r.m.Get(r.ctx, ref, renewed))
	assert.Equal(t, 2, *renewed.Status.Revision)
	r.assertHeld(t, renewed, start)
	assert.Equal(t, 2, r.acme.OrderCount())
	tree, err := r.m.Status(r.ctx, ref)
	require.NoError(t, err)
	assert.Contains(t, tree.String(), "not asked again before", "the Status tree says until when")
}

// TestACME_Fallback_RetryAfterHeldAcrossCountedFailures: the first CA rate
// limits with a Retry-After, the second then fails the issuance (a counted
// failure, backed off). The retry after the backoff, by a Manager that
// restarted meanwhile, starts at the first issuer and passes it over
// without asking, and the second CA issues.
func TestACME_Fallback_RetryAfterHeldAcrossCountedFailures(t *testing.T) {
	t.Parallel()
	start := time.Now()
	r := startHoldRig(t, 2*time.Second, acmetest.WithFaults(acmetest.RejectedIdentifier(acmetest.EndpointNewOrder, 1)))
	c := r.certificate("retried")
	require.NoError(t, r.m.Apply(r.ctx, c))
	ref := meta.RefOf(c)
	waitFor(r.harness, ref, "a counted failure", func(c *certificate.Certificate) bool {
		return c.Status.FailedIssuanceAttempts != nil && *c.Status.FailedIssuanceAttempts == 1
	})
	r.restart()
	require.NoError(t, r.m.WaitReady(r.ctx, ref, certflow.WaitThroughFailures()))
	done := &certificate.Certificate{}
	require.NoError(t, r.m.Get(r.ctx, ref, done))
	assert.Equal(t, 1, *done.Status.Revision)
	r.assertHeld(t, done, start)
	assert.Equal(t, 1, r.acme.OrderCount())
	assert.Equal(t, 2, r.acme.Requests(acmetest.EndpointNewOrder), "the refused one and the one that issued")
}
