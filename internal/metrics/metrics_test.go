package metrics

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/promtest"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/solver"
)

func TestClockAndQueue(t *testing.T) {
	r := newRig(t)
	waiting, inFlight := 3, 1
	r.m = New(Options{Clock: r.clock, Store: r.store, Queue: func() (int, int) { return waiting, inFlight }})
	r.clock.Advance(90 * time.Second)

	got := gather(t, r.m)
	now := float64(epoch.Add(90 * time.Second).Unix())
	assert.Equal(t, dto.MetricType_UNTYPED, got["certmanager_clock_time_seconds"].typ)
	assert.Equal(t, map[string]float64{"{}": now}, got["certmanager_clock_time_seconds"].samples)
	assert.NotContains(t, got, "certmanager_clock_time_seconds_gauge", "promtool rejects the name")
	assert.Equal(t, map[string]float64{"{}": 3}, got["certflow_queue_depth"].samples)
	assert.Equal(t, map[string]float64{"{}": 1}, got["certflow_queue_in_flight"].samples)
}

// TestLint runs the lint `promtool check metrics` runs (client_golang's
// promlint) over every metric, each with samples.
func TestLint_EveryMetricPassesPromtoolsLint(t *testing.T) {
	r := newRig(t)
	r.m = New(Options{Clock: r.clock, Store: r.store, Queue: func() (int, int) { return 0, 0 }})
	populate(t, r)
	require.Len(t, gather(t, r.m), 25, "every metric has samples")
	problems, err := testutil.CollectAndLint(r.m)
	require.NoError(t, err)
	assert.Empty(t, problems)
}

// populate gives every metric of r.m at least one sample.
func populate(t *testing.T, r *rig) {
	t.Helper()
	st := r.m.Store(r.store)
	c := cert("default", "www", meta.IssuerRef{Name: "ca"})
	require.NoError(t, st.Create(r.ctx, c))
	r.m.Changed(meta.RefOf(c))
	r.create(challengeObj("c", solver.DNS01, challenge.StatePending))
	r.create(&order.Order{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "o"}})
	r.create(&issuer.Issuer{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "ca"}, Spec: issuer.Spec{SelfSigned: &issuer.SelfSignedIssuer{}}})
	r.create(&issuer.ClusterIssuer{ObjectMeta: meta.ObjectMeta{Name: "ca"}, Spec: issuer.Spec{SelfSigned: &issuer.SelfSignedIssuer{}}})

	req, err := http.NewRequestWithContext(r.ctx, http.MethodGet, "https://ca.example.test/dir", nil)
	require.NoError(t, err)
	_, _ = r.m.ACMETransport(failingTransport{}, "https://ca.example.test/dir").RoundTrip(req)
	_, _ = r.m.Reconcilers(map[meta.Kind]reconcile.Reconciler{meta.KindOrder: &scripted{errs: []error{context.DeadlineExceeded}}})[meta.KindOrder].
		Reconcile(r.ctx, meta.Ref{Kind: meta.KindOrder, Name: "o"})
	ch := challengeObj("c", solver.DNS01, challenge.StatePending)
	s, err := r.m.SolverFor(func(context.Context, *challenge.Challenge) (solver.Solver, error) { return checking{}, nil })(r.ctx, ch)
	require.NoError(t, err)
	require.NoError(t, s.Present(r.ctx, ch.Info()))
	_ = r.m.SelfCheck(func(ctx context.Context, ch *challenge.Challenge, s solver.Solver) error {
		return s.(solver.Checker).Check(ctx, ch.Info())
	})(r.ctx, ch, s)
	r.m.DNSQueries(nil)("192.0.2.1:53", "udp", dns.Question{Name: "x.", Qtype: dns.TypeTXT}, new(dns.Msg), nil)
	r.m.OnDemandHandshake(OnDemandDenied)
	r.m.InvalidServingKey()
}

// TestPromtool_PassesOnEveryMetric runs the real `promtool check metrics`
// (Debian's prometheus package) over an exposition with every metric.
func TestPromtool_PassesOnEveryMetric(t *testing.T) {
	bin := promtest.Require(t)
	r := newRig(t)
	r.m = New(Options{Clock: r.clock, Store: r.store, Queue: func() (int, int) { return 0, 0 }})
	populate(t, r)
	exposition, err := testutil.CollectAndFormat(r.m, expfmt.TypeTextPlain)
	require.NoError(t, err)
	require.Len(t, gather(t, r.m), 25)
	out, err := promtest.CheckMetrics(bin, exposition)
	require.NoError(t, err, "promtool check metrics:\n%s\n%s", out, exposition)
}
