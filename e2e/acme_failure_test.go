package e2e

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

func TestACME_ChallengeRejectedByCA_CertificateBacksOffAndStatusExplains(t *testing.T) {
	h := startACME(t, acmeSetup{httpWrap: testrig.LieToTheCA})
	require.NoError(t, h.m.Apply(h.ctx, h.acme.Issuer("default", "acme")))
	crt := testrig.ACMECertificate("default", "bad", "acme", "bad.example.test")
	require.NoError(t, h.m.Apply(h.ctx, crt))
	ref := meta.RefOf(crt)

	c := &certificate.Certificate{}
	h.awaitStore("the certificate records a failed issuance", func() bool {
		require.NoError(t, h.st.Get(h.ctx, ref, c))
		return c.Status.FailedIssuanceAttempts != nil
	})
	assert.Equal(t, 1, *c.Status.FailedIssuanceAttempts)
	require.NotNil(t, c.Status.LastFailureTime)
	assert.False(t, c.Status.Conditions.IsTrue(meta.ConditionReady))
	issuing := c.Status.Conditions.Get(meta.ConditionIssuing)
	require.NotNil(t, issuing)
	assert.Equal(t, meta.ConditionFalse, issuing.Status)

	// The Order and the Challenge each hear the CA's verdict by their own
	// poll (the order's, the authorization's), so the certificate may fail
	// before the Challenge records why; an accepted Challenge always waits
	// for that verdict, so it is awaited, not assumed.
	var chs []*challenge.Challenge
	h.awaitStore("the challenge records the CA's verdict", func() bool {
		var err error
		chs, err = store.ListOf[challenge.Challenge](h.ctx, h.st, store.ListOptions{Kind: meta.KindChallenge, Namespace: "default"})
		require.NoError(t, err)
		return len(chs) == 1 && chs[0].Status.State.IsFinal()
	})
	assert.Equal(t, challenge.StateInvalid, chs[0].Status.State)

	// The next attempt waits BackoffMin (1h in the harness); the timer is
	// set right after the status write, so it is polled for. The status
	// tree shows it ("Next Reconcile", RFC 3339, whole seconds): a timer
	// within a second of want shows as a time in (want-2s, want+1s).
	want := c.Status.LastFailureTime.Add(time.Hour)
	var tree *certflow.StatusNode
	require.Eventually(t, func() bool {
		var err error
		tree, err = h.m.Status(h.ctx, ref)
		require.NoError(t, err)
		at, err := time.Parse(time.RFC3339, detail(tree, "Next Reconcile"))
		return err == nil && at.After(want.Add(-2*time.Second)) && at.Before(want.Add(time.Second))
	}, 10*time.Second, 10*time.Millisecond, "next reconcile ≈ lastFailureTime + BackoffMin")
	text := tree.String()
	assert.Contains(t, text, "Challenge default/"+chs[0].ObjectMeta.Name+": invalid")
	assert.Contains(t, text, "urn:ietf:params:acme:error:unauthorized")
	assert.Contains(t, text, "The key authorization file from the server did not match this challenge")
	assert.Contains(t, text, "Failed Issuance Attempts: 1")
	assert.Contains(t, text, "Next Reconcile: "+want.UTC().Format(time.RFC3339)[:13], "next attempt in an hour")
	assert.Equal(t, 1, h.acme.OrderCount(), "no second order before the backoff ends")
}

// requestLog is an http.RoundTripper recording when each request to the CA
// was sent and answered.
type requestLog struct {
	base    http.RoundTripper
	mu      sync.Mutex
	entries []loggedRequest
}

type loggedRequest struct {
	path           string
	sent, answered time.Time
	status         int
}

func (l *requestLog) RoundTrip(r *http.Request) (*http.Response, error) {
	sent := time.Now()
	res, err := l.base.RoundTrip(r)
	e := loggedRequest{path: r.URL.Path, sent: sent, answered: time.Now()}
	if err == nil {
		e.status = res.StatusCode
	}
	l.mu.Lock()
	l.entries = append(l.entries, e)
	l.mu.Unlock()
	return res, err
}

// to lists the recorded requests whose path starts with prefix.
func (l *requestLog) to(prefix string) []loggedRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []loggedRequest
	for _, e := range l.entries {
		if strings.HasPrefix(e.path, prefix) {
			out = append(out, e)
		}
	}
	return out
}

func TestACME_BadNonceAndRateLimit_IssuesAndHonoursRetryAfter(t *testing.T) {
	const retryAfter = 2 * time.Second
	log := &requestLog{}
	h := startACME(t, acmeSetup{
		acmeOpts: []acmetest.Option{acmetest.WithFaults(
			acmetest.BadNonce(acmetest.EndpointNewOrder, 1),
			acmetest.RateLimited(acmetest.EndpointFinalize, 1, retryAfter),
		)},
		transport: func(base http.RoundTripper) http.RoundTripper { log.base = base; return log },
	})
	c := h.issue(h.acme.Issuer("default", "acme"), testrig.ACMECertificate("default", "faulty", "acme", "faulty.example.test"))
	require.Equal(t, 1, *c.Status.Revision)

	assert.Equal(t, 2, h.acme.Requests(acmetest.EndpointNewOrder), "badNonce, then the retry")
	assert.Equal(t, 1, h.acme.OrderCount(), "one order despite the retry")
	newOrders := log.to("/order-plz")
	require.Len(t, newOrders, 2)
	assert.Equal(t, http.StatusBadRequest, newOrders[0].status)
	assert.Equal(t, http.StatusCreated, newOrders[1].status)

	fin := log.to("/finalize-order/")
	require.GreaterOrEqual(t, len(fin), 2)
	assert.Equal(t, http.StatusTooManyRequests, fin[0].status)
	assert.Equal(t, http.StatusOK, fin[1].status)
	gap := fin[1].sent.Sub(fin[0].answered)
	assert.GreaterOrEqual(t, gap, retryAfter, "the retried finalize waited for Retry-After")
	assert.Less(t, gap, retryAfter+3*time.Second, "and not much longer")
}
