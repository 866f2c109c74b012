package certflow

import (
	"crypto/tls"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/memory"
)

// samples gathers reg and returns the samples of metric name keyed by
// their labels ({a="x",b="y"}, sorted), with the family's type.
func samples(t testing.TB, reg prometheus.Gatherer, name string) (dto.MetricType, map[string]float64) {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		out := map[string]float64{}
		for _, m := range mf.GetMetric() {
			parts := []string{}
			for _, lp := range m.GetLabel() {
				parts = append(parts, fmt.Sprintf("%s=%q", lp.GetName(), lp.GetValue()))
			}
			sort.Strings(parts)
			var v float64
			switch mf.GetType() {
			case dto.MetricType_GAUGE:
				v = m.GetGauge().GetValue()
			case dto.MetricType_UNTYPED:
				v = m.GetUntyped().GetValue()
			case dto.MetricType_COUNTER:
				v = m.GetCounter().GetValue()
			case dto.MetricType_HISTOGRAM:
				v = float64(m.GetHistogram().GetSampleCount())
			case dto.MetricType_SUMMARY:
				v = float64(m.GetSummary().GetSampleCount())
			}
			out["{"+strings.Join(parts, ",")+"}"] = v
		}
		return mf.GetType(), out
	}
	return dto.MetricType_UNTYPED, nil
}

func TestMetrics_ReportWhatTheManagerDoes(t *testing.T) {
	h := startManager(t, nil)
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(h.m.Metrics()))
	h.setupCA("default", "ca")
	ref := testrig.CertRef("default", "web")
	// Woken after each change of the Certificate the Manager's own watch
	// saw, which is when the metrics learn of it too.
	changed, stop := h.m.changes.subscribe(ref)
	defer stop()
	require.NoError(t, h.m.Apply(h.ctx, testrig.Certificate("default", "web", "ca", "web.example.test")))

	const labels = `issuer_group="",issuer_kind="Issuer",issuer_name="ca",name="web",namespace="default"`
	for {
		_, ready := samples(t, reg, "certmanager_certificate_ready_status")
		if ready[`{condition="True",`+labels+`}`] == 1 {
			break
		}
		select {
		case <-changed:
		case <-h.ctx.Done():
			t.Fatalf("certmanager_certificate_ready_status never reported Ready: %v\n%s", ready, h.explain(ref)())
		}
	}
	crt := &certificate.Certificate{}
	require.NoError(t, h.m.Get(h.ctx, ref, crt))
	for name, want := range map[string]float64{
		"certmanager_certificate_expiration_timestamp_seconds": float64(crt.Status.NotAfter.Unix()),
		"certmanager_certificate_not_before_timestamp_seconds": float64(crt.Status.NotBefore.Unix()),
		"certmanager_certificate_renewal_timestamp_seconds":    float64(crt.Status.RenewalTime.Unix()),
	} {
		typ, got := samples(t, reg, name)
		assert.Equal(t, dto.MetricType_GAUGE, typ, name)
		assert.Equal(t, map[string]float64{"{" + labels + "}": want}, got, name)
	}
	_, issuers := samples(t, reg, "certmanager_issuer_ready_status")
	assert.Equal(t, 1.0, issuers[`{condition="True",name="ca",namespace="default"}`])
	_, clk := samples(t, reg, "certmanager_clock_time_seconds")
	assert.Equal(t, map[string]float64{"{}": float64(h.clock.Now().Unix())}, clk)

	_, syncs := samples(t, reg, "certmanager_controller_sync_call_count")
	for _, c := range []string{"certificates", "certificaterequests", "issuers"} {
		assert.Positive(t, syncs[`{controller="`+c+`"}`], c)
	}
	_, ops := samples(t, reg, "certflow_store_operation_duration_seconds")
	for _, op := range []string{"create", "get", "update", "list", "scan", "watch"} {
		assert.Positive(t, ops[`{operation="`+op+`",result="success"}`], op)
	}
	_, depth := samples(t, reg, "certflow_queue_depth")
	assert.Len(t, depth, 1)
	_, acme := samples(t, reg, "certmanager_http_acme_client_request_count")
	assert.Empty(t, acme, "a CA issuer talks to no ACME server")
}

func TestMetrics_OneCollectorPerManager(t *testing.T) {
	a := startManager(t, nil)
	b := startManager(t, nil)
	assert.Same(t, a.m.Metrics(), a.m.Metrics())
	reg := prometheus.NewRegistry()
	require.NoError(t, prometheus.WrapRegistererWith(prometheus.Labels{"manager": "a"}, reg).Register(a.m.Metrics()))
	require.NoError(t, prometheus.WrapRegistererWith(prometheus.Labels{"manager": "b"}, reg).Register(b.m.Metrics()))
	_, clk := samples(t, reg, "certmanager_clock_time_seconds")
	assert.Len(t, clk, 2)
}

// BenchmarkGetCertificate_Metrics measures the TLS hot path of a Manager
// whose metrics nobody registered and of one whose metrics are registered
// and were scraped (every gauge and vector initialised): serving never
// touches metrics, so both allocate nothing. (A scrape running during the
// loop would show its own allocations here: the benchmark's allocation
// count is process-wide.)
func BenchmarkGetCertificate_Metrics(b *testing.B) {
	m := startIssued(b, "web.example.test")
	hello := &tls.ClientHelloInfo{ServerName: strings.Clone("web.example.test")}
	get := func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if c, err := m.GetCertificate(hello); err != nil || c == nil {
				b.Fatal("no certificate", err)
			}
		}
	}
	b.Run("unregistered", get)
	reg := prometheus.NewRegistry()
	require.NoError(b, reg.Register(m.Metrics()))
	_, ready := samples(b, reg, "certmanager_certificate_ready_status")
	require.NotEmpty(b, ready)
	b.Run("registered-and-scraped", get)
}

// startIssued runs a Manager (fake clock, memory store) with a CA issuer
// and a Ready certificate for name.
func startIssued(tb testing.TB, name string) *Manager {
	tb.Helper()
	ctx := testrig.Context(tb)
	clk := clock.NewFake(testrig.Epoch)
	m, err := New(Config{Store: memory.New(memory.WithClock(clk)), Clock: clk, Workers: 2})
	require.NoError(tb, err)
	testrig.Run(tb, ctx, 10*time.Second, m.Run)
	require.NoError(tb, m.Apply(ctx, testrig.CASecret(tb, "default", "ca-key", clk.Now())))
	require.NoError(tb, m.Apply(ctx, testrig.CAIssuer("default", "ca", "ca-key")))
	require.NoError(tb, m.Apply(ctx, testrig.Certificate("default", "web", "ca", name)))
	awaitServed(tb, ctx, m, meta.Ref{Kind: meta.KindSecret, Namespace: "default", Name: "web-tls"}, name)
	return m
}
