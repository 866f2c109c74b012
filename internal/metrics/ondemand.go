package metrics

import "github.com/prometheus/client_golang/prometheus"

// On-demand handshake results, the values of the result label of
// certflow_ondemand_handshakes_total.
const (
	OnDemandIssued      = "issued"
	OnDemandDenied      = "denied"
	OnDemandInvalid     = "invalid"
	OnDemandRateLimited = "rate_limited"
	OnDemandBusy        = "busy"
	OnDemandTimeout     = "timeout"
	OnDemandFailed      = "failed"
)

func newOnDemandHandshakes() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "certflow_ondemand_handshakes_total",
		Help: "TLS handshakes for a name no certificate served, with on-demand issuance on, by result " +
			"(issued, denied, invalid, rate_limited, busy, timeout or failed).",
	}, []string{"result"})
}

// OnDemandHandshake counts one handshake that on-demand issuance answered
// with result (one of the OnDemand* constants).
func (m *Metrics) OnDemandHandshake(result string) {
	m.onDemand.WithLabelValues(result).Inc()
}
