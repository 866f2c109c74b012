package challenge_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/challenge"
)

// A CA that answers 503 with a Retry-After (down for maintenance, RFC 9110
// §10.2.3) asked not to be asked again before it: the challenge waits that
// long, as an order does (order.Reconciler.failed), instead of returning
// the error for the Manager's backoff, whose first retries come 200ms,
// 400ms, 800ms … later.
func TestRetryAfterOnServiceUnavailableIsHonoured(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{Processing: true, Presented: true, SelfCheckPassed: true, State: challenge.StatePending})
	f.ca.acceptFails = &acme.Error{StatusCode: http.StatusServiceUnavailable, ProblemType: "urn:ietf:params:acme:error:serverInternal",
		Detail: "down for maintenance", Header: http.Header{"Retry-After": {"60"}}}

	next, err := f.replica("a").Reconcile(ctx, f.ref)
	require.NoError(t, err, "waited out, not retried with the Manager's backoff")
	accepts, _ := f.ca.counts()
	require.Equal(t, 1, accepts)
	assert.Equal(t, f.clk.Now().Add(time.Minute), next, "the next request after the CA's Retry-After")
	ch := f.get(ctx, t)
	require.NotNil(t, ch.Status.NotBefore)
	assert.Equal(t, f.clk.Now().Add(time.Minute), *ch.Status.NotBefore)
	assert.Contains(t, ch.Status.Reason, "down for maintenance")
}
