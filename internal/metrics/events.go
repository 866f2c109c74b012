package metrics

import "github.com/prometheus/client_golang/prometheus"

// ObserveEvents exposes what stats reports of the events writer:
// certflow_events_pending and certflow_events_lost_total. Call it before
// the Metrics are shared (from the Manager's New).
func (m *Metrics) ObserveEvents(stats func() (pending int, lost uint64)) { m.events = stats }

func (m *Metrics) collectEvents(ch chan<- prometheus.Metric) {
	if m.events == nil {
		return
	}
	pending, lost := m.events()
	ch <- prometheus.MustNewConstMetric(m.d.eventsPending, prometheus.GaugeValue, float64(pending))
	ch <- prometheus.MustNewConstMetric(m.d.eventsLost, prometheus.CounterValue, float64(lost))
}
