package e2e

import (
	"context"
	"crypto/x509"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/memory"
)

// clockDriver runs a fake clock at the wall clock's pace (so an ACME flow
// against a real CA, with its polls and timeouts, runs as it would), and
// lets the test jump it forward to the long waits (ARI checks, renewals),
// after which it runs on from there.
type clockDriver struct {
	clk    *clock.Fake
	mu     sync.Mutex
	offset time.Duration // fake − wall
}

// driveClock runs a driver on clk until the test ends.
func driveClock(t *testing.T, ctx context.Context, clk *clock.Fake) *clockDriver {
	d := &clockDriver{clk: clk, offset: clk.Now().Sub(time.Now())}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-tick.C:
				d.mu.Lock()
				clk.Set(now.Add(d.offset))
				d.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return d
}

// jump sets the clock to at; it runs on from there.
func (d *clockDriver) jump(at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.offset = at.Sub(time.Now())
	d.clk.Set(at)
}

// startACMEFake runs a Manager on a fake clock (starting at the wall clock,
// where the CA's certificates live) and a memory store stamped by it,
// against acmetest, with the clock driven by a clockDriver.
func startACMEFake(t *testing.T, opts ...acmetest.Option) (*harness, *clock.Fake, *clockDriver) {
	t.Helper()
	return startACMEDriven(t, acmeSetup{acmeOpts: opts})
}

// startACMEDriven is startACME with setup on a driven fake clock (its
// store, if setup names none, stamped by that clock).
func startACMEDriven(t *testing.T, setup acmeSetup) (*harness, *clock.Fake, *clockDriver) {
	t.Helper()
	clk := clock.NewFake(time.Now())
	if setup.store == nil {
		setup.store = memory.New(memory.WithClock(clk))
	}
	config := setup.config
	setup.config = func(c *certflow.Config) {
		c.Clock = clk
		if config != nil {
			config(c)
		}
	}
	h := startACME(t, setup)
	return h, clk, driveClock(t, h.ctx, clk)
}

// ariFor returns the certificate's ARI status if it is about leaf.
func ariFor(c *certificate.Certificate, leaf *x509.Certificate) *certificate.ARIStatus {
	id, err := acmeproto.CertID(leaf)
	if err != nil || c.Status.ACME == nil || c.Status.ACME.ARI == nil || c.Status.ACME.ARI.CertID != id {
		return nil
	}
	return c.Status.ACME.ARI
}

// awaitFirstARICheck waits until the certificate at ref is Ready with the
// first renewalInfo check of the leaf in its Secret pending — certflow
// asks one check interval after issuance, not at once — and returns both
// with the time of that check.
func awaitFirstARICheck(h *harness, ref meta.Ref) (*certificate.Certificate, *x509.Certificate, time.Time) {
	h.t.Helper()
	var c *certificate.Certificate
	var leaf *x509.Certificate
	testrig.Await(h.t, h.ctx, h.st, ref.Name+" records its first renewal information check", func() bool {
		c = &certificate.Certificate{}
		require.NoError(h.t, h.st.Get(h.ctx, ref, c))
		if !testrig.CertReady(c) {
			return false
		}
		leaf = secretLeaf(h.t, h, ref.Namespace, c.Spec.SecretName)
		a := ariFor(c, leaf)
		return a != nil && a.NextCheck != nil
	}, func() string {
		st, _ := h.m.Status(context.Background(), ref)
		return st.String()
	})
	return c, leaf, *ariFor(c, leaf).NextCheck
}

// awaitARI waits for the first renewalInfo check of the certificate at
// ref (awaitFirstARICheck), jumps the clock to it unless it has passed,
// and waits until the certificate records what the CA said about the leaf
// in its Secret; it returns both.
func awaitARI(h *harness, drive *clockDriver, ref meta.Ref) (*certificate.Certificate, *x509.Certificate) {
	h.t.Helper()
	_, _, first := awaitFirstARICheck(h, ref)
	if drive.clk.Now().Before(first) {
		drive.jump(first)
	}
	var c *certificate.Certificate
	var leaf *x509.Certificate
	testrig.Await(h.t, h.ctx, h.st, ref.Name+" records renewal information", func() bool {
		c = &certificate.Certificate{}
		require.NoError(h.t, h.st.Get(h.ctx, ref, c))
		if !testrig.CertReady(c) {
			return false
		}
		leaf = secretLeaf(h.t, h, ref.Namespace, c.Spec.SecretName)
		a := ariFor(c, leaf)
		return a != nil && a.LastChecked != nil && a.NextCheck != nil && a.LastError == ""
	}, func() string {
		st, _ := h.m.Status(context.Background(), ref)
		return st.String()
	})
	return c, leaf
}
