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

// CAs that hold every request open must not starve another issuer: with
// 20 Certificates stuck on each hanging CA, 5 Certificates of a healthy CA
// are issued within seconds by the same Manager and its 8 workers — with
// one stalled account, and with three (each may hold
// Config.ACME.MaxInFlightPerAccount workers, 2 by default).
func TestACME_HangingCADoesNotStarveOtherIssuers(t *testing.T) {
	for _, stalledCAs := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d stalled", stalledCAs), func(t *testing.T) { hangingCAs(t, stalledCAs) })
	}
}

func hangingCAs(t *testing.T, stalledCAs int) {
	h := startACME(t, acmeSetup{
		acmeOpts: []acmetest.Option{acmetest.WithAlwaysValid()},
		config:   func(c *certflow.Config) { c.Workers = 8 },
	})
	healthy := acmetest.NewServer(t, acmetest.WithAlwaysValid(), acmetest.WithHTTP01Port(h.acme.HTTPPort))
	stalled := []*acmetest.Server{h.acme.Server}
	for len(stalled) < stalledCAs {
		stalled = append(stalled, acmetest.NewServer(t, acmetest.WithAlwaysValid(), acmetest.WithHTTP01Port(h.acme.HTTPPort)))
	}
	for i, srv := range stalled {
		iss := h.acme.Issuer("default", fmt.Sprintf("stalled-%d", i))
		iss.Spec.ACME.Server = srv.DirectoryURL()
		iss.Spec.ACME.CABundle = srv.TLSCertPEM()
		require.NoError(t, h.m.Apply(h.ctx, iss))
		require.NoError(t, h.m.WaitReady(h.ctx, meta.RefOf(iss)))
	}
	issB := h.acme.Issuer("default", "healthy")
	issB.Spec.ACME.Server = healthy.DirectoryURL()
	issB.Spec.ACME.CABundle = healthy.TLSCertPEM()
	require.NoError(t, h.m.Apply(h.ctx, issB))
	require.NoError(t, h.m.WaitReady(h.ctx, meta.RefOf(issB)))

	// From now on the stalled CAs answer nothing (until the test ends).
	for i, srv := range stalled {
		for _, ep := range []acmetest.Endpoint{acmetest.EndpointNewNonce, acmetest.EndpointNewOrder, acmetest.EndpointOrder,
			acmetest.EndpointAuthz, acmetest.EndpointChallenge, acmetest.EndpointFinalize, acmetest.EndpointCertificate,
			acmetest.EndpointAccount, acmetest.EndpointNewAccount} {
			require.NoError(t, srv.InjectFault(acmetest.Fault{Endpoint: ep, Nth: srv.Requests(ep) + 1, Repeat: -1,
				Kind: acmetest.FaultDelay, Delay: 10 * time.Minute}))
		}
		for j := range 20 {
			name := fmt.Sprintf("a%d-%d", i, j)
			require.NoError(t, h.m.Apply(h.ctx, testrig.ACMECertificate("default", name, fmt.Sprintf("stalled-%d", i), name+".example.test")))
		}
	}
	h.poll("every stalled CA holds requests", func() bool {
		for _, srv := range stalled {
			if srv.Requests(acmetest.EndpointNewOrder)+srv.Requests(acmetest.EndpointNewNonce) < 2 {
				return false
			}
		}
		return true
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
	t.Logf("5 certificates of the healthy issuer Ready in %v while 20 on each of %d stalled CAs wait", took.Round(time.Millisecond), stalledCAs)
	ready := 0
	for i := range stalled {
		for j := range 20 {
			c := &certificate.Certificate{}
			require.NoError(t, h.m.Get(h.ctx, meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: fmt.Sprintf("a%d-%d", i, j)}, c))
			if testrig.CertReady(c) {
				ready++
			}
		}
	}
	assert.Zero(t, ready, "the stalled CAs issued nothing")
	stopping := time.Now()
	h.stopManager()
	for _, srv := range stalled {
		srv.Close()
	}
	t.Logf("Manager stopped and stalled CAs closed in %v", time.Since(stopping).Round(time.Millisecond))
}
