package certflow

import (
	"context"
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/memory"
)

// BenchmarkGetCertificate_OnDemand measures GetCertificate, with on-demand
// issuance and idle tracking on, for a pre-declared name and for a name
// issued on demand: both are hits, which allocate nothing (the on-demand
// name records its use in place). A third Manager without on-demand
// issuance is the baseline.
func BenchmarkGetCertificate_OnDemand(b *testing.B) {
	ctx := testrig.Context(b)
	clk := clock.Real{} // the clock read on every hit is the real one's cost
	tmpl := onDemandTemplate()
	tmpl.Spec.IssuerRef.Name = "ca"
	m, err := New(Config{Store: memory.New(memory.WithClock(clk)), Clock: clk, Workers: 2,
		OnDemand: &OnDemandConfig{Allow: AllowNames("*.ondemand.test"), Template: tmpl, IdleTimeout: time.Hour}})
	require.NoError(b, err)
	testrig.Run(b, ctx, 10*time.Second, m.Run)
	require.NoError(b, m.Apply(ctx, testrig.CASecret(b, "default", "ca-key", clk.Now())))
	require.NoError(b, m.Apply(ctx, testrig.CAIssuer("default", "ca", "ca-key")))
	web := testrig.Certificate("default", "web", "ca", "web.example.test")
	require.NoError(b, m.Apply(ctx, web))
	require.NoError(b, m.WaitReady(ctx, meta.RefOf(web)))
	_, err = m.GetCertificate(&tls.ClientHelloInfo{ServerName: "shop.ondemand.test"})
	require.NoError(b, err)
	base := startIssued(b, "base.example.test")
	for _, c := range []struct {
		what, name string
		m          *Manager
	}{{"no-ondemand", "base.example.test", base}, {"predeclared", "web.example.test", m}, {"ondemand", "shop.ondemand.test", m}} {
		hello := &tls.ClientHelloInfo{ServerName: strings.Clone(c.name)}
		m := c.m
		b.Run(c.what, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if c, err := m.GetCertificate(hello); err != nil || c == nil {
					b.Fatal("no certificate", err)
				}
			}
		})
	}
}

// BenchmarkOnDemand_Handshakes measures real TLS 1.3 handshakes (ECDSA
// P-256, no resumption) with a Manager issuing from acmetest over
// HTTP-01: "first" is the first handshake for a new allowed name, which
// waits for its issuance (latency p50/p99); "issued" and "predeclared"
// are handshakes for a name issued on demand and for a name of a
// Certificate applied beforehand, in the same run (handshakes/s).
func BenchmarkOnDemand_Handshakes(b *testing.B) {
	ctx := testrig.Context(b)
	rig := testrig.StartACME(b, nil)
	cfg := Config{Store: memory.New(), Workers: 8, OnDemand: &OnDemandConfig{Allow: AllowNames("*.ondemand.test"),
		Template: onDemandTemplate(), RateLimit: 1e6, Burst: 1e6, HandshakeTimeout: time.Minute, IdleTimeout: time.Hour}}.WithTestCA(rig)
	m, err := New(cfg)
	require.NoError(b, err)
	rig.Serve(m)
	testrig.Run(b, ctx, 20*time.Second, m.Run)
	require.NoError(b, m.Apply(ctx, rig.Issuer("default", "acme")))
	pre := testrig.ACMECertificate("default", "pre", "acme", "pre.example.test")
	require.NoError(b, m.Apply(ctx, pre))
	require.NoError(b, m.WaitReady(ctx, meta.RefOf(pre)))
	port := serveTLS(b, m)

	n := 0
	b.Run("first", func(b *testing.B) {
		var lat []time.Duration
		for b.Loop() {
			n++
			name := fmt.Sprintf("first%d.ondemand.test", n)
			start := time.Now()
			if _, err := handshake(ctx, rig.Roots(), port, name); err != nil {
				b.Fatal(name, err)
			}
			lat = append(lat, time.Since(start))
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[(len(lat)*99)/100].Microseconds())/1000, "p99-ms")
	})
	_, err = handshake(ctx, rig.Roots(), port, "issued.ondemand.test")
	require.NoError(b, err)
	for _, name := range []string{"issued.ondemand.test", "pre.example.test"} {
		b.Run(strings.SplitN(name, ".", 2)[0], func(b *testing.B) {
			start := time.Now()
			for b.Loop() {
				if _, err := handshake(context.Background(), rig.Roots(), port, name); err != nil {
					b.Fatal(name, err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "handshakes/s")
		})
	}
}
