package metrics

import "github.com/prometheus/client_golang/prometheus"

func newInvalidServingKeys() prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{
		Name: "certflow_serving_invalid_keys_total",
		Help: "Secrets no longer served because their private key, parsed with their certificate at its " +
			"first TLS handshake after a load, proved unusable (unparsable, not the key of its certificate, " +
			"or the certificate refused by x509).",
	})
}

// InvalidServingKey counts one Secret dropped from serving because its
// private key, or the certificate parsed with it, proved unusable at its
// first handshake.
func (m *Metrics) InvalidServingKey() { m.invalidKeys.Inc() }
