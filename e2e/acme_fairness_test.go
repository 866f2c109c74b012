package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
)

// A CA that holds every request open must not starve another issuer: with
// 20 Certificates stuck on a hanging CA (A), 5 Certificates of a healthy
// CA (B) are issued within seconds by the same Manager and its 8 workers.
func TestACME_HangingCADoesNotStarveOtherIssuers(t *testing.T) {
	h := startACME(t, acmeSetup{
		acmeOpts: []acmetest.Option{acmetest.WithAlwaysValid()},
		config:   func(c *certflow.Config) { c.Workers = 8 },
	})
	healthy := acmetest.NewServer(t, acmetest.WithAlwaysValid(), acmetest.WithHTTP01Port(h.acme.HTTPPort))

	issA := h.acme.Issuer("default", "stalled")
	require.NoError(t, h.m.Apply(h.ctx, issA))
	issB := h.acme.Issuer("default", "healthy")
	issB.Spec.ACME.Server = healthy.DirectoryURL()
	issB.Spec.ACME.CABundle = healthy.TLSCertPEM()
	require.NoError(t, h.m.Apply(h.ctx, issB))
	for _, iss := range []meta.Ref{meta.RefOf(issA), meta.RefOf(issB)} {
		require.NoError(t, h.m.WaitReady(h.ctx, iss))
	}

	// From now on the stalled CA answers nothing (until the test ends).
	for _, ep := range []acmetest.Endpoint{acmetest.EndpointNewNonce, acmetest.EndpointNewOrder, acmetest.EndpointOrder,
		acmetest.EndpointAuthz, acmetest.EndpointChallenge, acmetest.EndpointFinalize, acmetest.EndpointCertificate,
		acmetest.EndpointAccount, acmetest.EndpointNewAccount} {
		require.NoError(t, h.acme.InjectFault(acmetest.Fault{Endpoint: ep, Nth: h.acme.Requests(ep) + 1, Repeat: -1,
			Kind: acmetest.FaultDelay, Delay: 10 * time.Minute}))
	}
	for i := range 20 {
		require.NoError(t, h.m.Apply(h.ctx, testrig.ACMECertificate("default", fmt.Sprintf("a-%d", i), "stalled", fmt.Sprintf("a-%d.example.test", i))))
	}
	h.awaitStore("the stalled CA holds requests", func() bool {
		return h.acme.Requests(acmetest.EndpointNewOrder)+h.acme.Requests(acmetest.EndpointNewNonce) >= 3
	})

	start := time.Now()
	ctx, cancel := context.WithTimeout(h.ctx, 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 5)
	for i := range 5 {
		crt := testrig.ACMECertificate("default", fmt.Sprintf("b-%d", i), "healthy", fmt.Sprintf("b-%d.example.test", i))
		require.NoError(t, h.m.Apply(h.ctx, crt))
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = h.m.WaitReady(ctx, meta.RefOf(crt))
		}()
	}
	wg.Wait()
	took := time.Since(start)
	for _, err := range errs {
		require.NoError(t, err, "healthy issuer's certificates Ready while the other CA hangs")
	}
	t.Logf("5 certificates of the healthy issuer Ready in %v while 20 of the stalled issuer's wait", took.Round(time.Millisecond))
	ready := 0
	for i := range 20 {
		c := &certificate.Certificate{}
		require.NoError(t, h.m.Get(h.ctx, meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: fmt.Sprintf("a-%d", i)}, c))
		if testrig.CertReady(c) {
			ready++
		}
	}
	assert.Zero(t, ready, "the stalled CA issued nothing")
	stopping := time.Now()
	h.stopManager()
	h.acme.Close()
	t.Logf("Manager stopped and stalled CA closed in %v", time.Since(stopping).Round(time.Millisecond))
}
