package metrics

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/memory"
)

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

type rig struct {
	t     *testing.T
	ctx   context.Context
	clock *clock.Fake
	store *memory.Store
	m     *Metrics
}

func newRig(t *testing.T) *rig {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	clk := clock.NewFake(epoch)
	st := memory.New(memory.WithClock(clk))
	return &rig{t: t, ctx: ctx, clock: clk, store: st, m: New(Options{Clock: clk, Store: st})}
}

// create stores obj and tells the metrics, as the Manager's watch does.
func (r *rig) create(obj meta.Object) {
	r.t.Helper()
	require.NoError(r.t, r.store.Create(r.ctx, obj))
	r.m.Changed(meta.RefOf(obj))
}

// update writes obj (read before, so it carries its ResourceVersion) and
// tells the metrics.
func (r *rig) update(obj meta.Object) {
	r.t.Helper()
	require.NoError(r.t, r.store.Update(r.ctx, obj))
	r.m.Changed(meta.RefOf(obj))
}

func (r *rig) del(ref meta.Ref) {
	r.t.Helper()
	require.NoError(r.t, r.store.Delete(r.ctx, ref, ""))
	r.m.Changed(ref)
}

// family is one gathered metric family: its type and its samples keyed by
// their labels ({a="x",b="y"}, sorted by name).
type family struct {
	typ     dto.MetricType
	help    string
	samples map[string]float64
}

// gather scrapes c through a pedantic registry (which checks that what is
// collected was described) and returns the families by name.
func gather(t testing.TB, c prometheus.Collector) map[string]family {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(c))
	mfs, err := reg.Gather()
	require.NoError(t, err)
	out := map[string]family{}
	for _, mf := range mfs {
		f := family{typ: mf.GetType(), help: mf.GetHelp(), samples: map[string]float64{}}
		for _, m := range mf.GetMetric() {
			f.samples[labelKey(m.GetLabel())] = value(mf.GetType(), m)
		}
		out[mf.GetName()] = f
	}
	return out
}

func labelKey(lps []*dto.LabelPair) string {
	parts := make([]string, 0, len(lps))
	for _, lp := range lps {
		parts = append(parts, fmt.Sprintf("%s=%q", lp.GetName(), lp.GetValue()))
	}
	sort.Strings(parts)
	return "{" + strings.Join(parts, ",") + "}"
}

// value is a sample's value; for histograms and summaries, its count.
func value(t dto.MetricType, m *dto.Metric) float64 {
	switch t {
	case dto.MetricType_COUNTER:
		return m.GetCounter().GetValue()
	case dto.MetricType_GAUGE:
		return m.GetGauge().GetValue()
	case dto.MetricType_UNTYPED:
		return m.GetUntyped().GetValue()
	case dto.MetricType_HISTOGRAM:
		return float64(m.GetHistogram().GetSampleCount())
	case dto.MetricType_SUMMARY:
		return float64(m.GetSummary().GetSampleCount())
	}
	return 0
}
