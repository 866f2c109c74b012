package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
)

// TestACME_AccountHoldOutlivesTheProcess: the first CA answers a newOrder
// with 429 and a Retry-After; the issuer's status records the account's
// hold. A Manager started afterwards on the same Store (a restart, or
// another replica) does not send that account anything before the
// Retry-After: a Certificate of other names applied then is passed over
// to the fallback without a request to the first CA.
func TestACME_AccountHoldOutlivesTheProcess(t *testing.T) {
	t.Parallel()
	start := time.Now()
	r := startHoldRig(t, time.Hour)
	a := r.issue(nil, r.certificate("before"))
	require.Equal(t, "second", a.Status.IssuedBy.Name)
	require.Equal(t, 1, r.first.Requests(acmetest.EndpointNewOrder))
	first := meta.Ref{Kind: meta.KindIssuer, Namespace: "default", Name: "first"}
	held := waitFor(r.harness, first, "the account's hold recorded", func(i *issuer.Issuer) bool {
		return i.Status.ACME != nil && i.Status.ACME.HeldUntil != nil
	})
	assertHoldEnds(t, start, *held.Status.ACME.HeldUntil)

	r.restart()
	b := r.issue(nil, r.certificate("after"))
	require.Less(t, time.Since(start), holdWindow, "the test ran within the CA's Retry-After")
	require.NotNil(t, b.Status.IssuedBy)
	assert.Equal(t, "second", b.Status.IssuedBy.Name)
	var skip *certificate.SkippedIssuer
	for i, s := range b.Status.SkippedIssuers {
		if s.IssuerRef.Name == "first" {
			skip = &b.Status.SkippedIssuers[i]
		}
	}
	require.NotNil(t, skip, "%+v", b.Status.SkippedIssuers)
	assert.Equal(t, request.ReasonRateLimited, skip.Reason)
	assert.Contains(t, skip.Message, "not sent")
	assert.Equal(t, 1, r.first.Requests(acmetest.EndpointNewOrder), "the restarted Manager asked the held account nothing")
	assert.Zero(t, r.first.OrderCount())
}
