package certflow

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/certflow/certflow/internal/metrics"
)

// Metrics returns the Manager's Prometheus metrics as a collector to
// register in a registry of your choosing; the Manager registers nothing
// globally and listens nowhere. They carry cert-manager's names and labels
// (certmanager_certificate_expiration_timestamp_seconds,
// certmanager_certificate_ready_status, the ACME client and controller
// metrics, …) so cert-manager's alerts and dashboards work unchanged, plus
// certflow's own (certflow_*); docs/metrics.md lists them all. Every call
// returns the same collector. Certificate, issuer, order and challenge
// gauges are read at scrape time for the objects that changed since the
// previous scrape; GetCertificate never touches metrics.
//
// Two Managers in one registry would report the same series: register
// each through prometheus.WrapRegistererWith with a label telling them
// apart.
func (m *Manager) Metrics() prometheus.Collector { return m.metrics }

// instrument has c's Store and DNS-01 queries observed by met; the rest
// (ACME transport, solvers, self-checks, reconcilers, queue) is wired where
// it is built.
func instrument(c Config, met *metrics.Metrics) Config {
	c.Store = met.Store(c.Store)
	c.ACME.DNS01Check.OnQuery = met.DNSQueries(c.ACME.DNS01Check.OnQuery)
	return c
}
