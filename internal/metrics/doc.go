// Package metrics is one Manager's Prometheus metrics: cert-manager's
// (certmanager_*, with cert-manager v1.21's names, labels and meaning; see
// docs/metrics.md) for everything certflow has, and certflow's own
// (certflow_*).
//
// A Metrics is a prometheus.Collector the user registers in a registry of
// their choosing; nothing here registers globally, listens or runs a
// goroutine. It is fed by decorators the Manager puts around what it
// already uses — the ACME HTTP transport, the Store, the reconcilers, the
// solvers, the self-check and the DNS-01 query hook — and by the Manager's
// Store watch, which marks changed objects; the object gauges (certificate
// expiry, readiness, challenge and order states) are read at scrape time,
// and only for objects that changed since the previous scrape. Serving
// (GetCertificate) never touches it.
package metrics
