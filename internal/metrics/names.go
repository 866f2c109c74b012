package metrics

import "github.com/prometheus/client_golang/prometheus"

// descs are the descriptions of every metric emitted at scrape time, built
// once per Metrics. Names, label names and the meaning of the help text
// follow cert-manager v1.21.1 (pkg/metrics/metrics.go and
// internal/collectors/*.go) for certmanager_*.
type descs struct {
	certReady, certNotAfter, certNotBefore, certExpiration, certRenewal *prometheus.Desc
	issuerReady, clusterIssuerReady                                     *prometheus.Desc
	challengeStatus                                                     *prometheus.Desc
	clock                                                               *prometheus.Desc
	acmeRequests, acmeOverflow                                          *prometheus.Desc
	syncCalls, syncErrors                                               *prometheus.Desc

	orders, challenges   *prometheus.Desc
	queueDepth, inFlight *prometheus.Desc

	eventsPending, eventsLost *prometheus.Desc
}

// acmeLabels are cert-manager v1.21's labels of the ACME client metrics.
func acmeLabels() []string { return []string{"scheme", "host", "action", "method", "status"} }

func newDescs() descs {
	// cert-manager's labels of every certificate gauge.
	certLabels := []string{"name", "namespace", "issuer_name", "issuer_kind", "issuer_group"}
	return descs{
		certReady: prometheus.NewDesc("certmanager_certificate_ready_status",
			"The Ready condition of the certificate: 1 for the condition status it has (True, False or Unknown), 0 for the others.",
			[]string{"name", "namespace", "condition", "issuer_name", "issuer_kind", "issuer_group"}, nil),
		certNotAfter: prometheus.NewDesc("certmanager_certificate_not_after_timestamp_seconds",
			"The time after which the certificate is no longer valid, as a Unix timestamp in seconds (0 before it is issued).", certLabels, nil),
		certNotBefore: prometheus.NewDesc("certmanager_certificate_not_before_timestamp_seconds",
			"The time before which the certificate is not yet valid, as a Unix timestamp in seconds (0 before it is issued).", certLabels, nil),
		certExpiration: prometheus.NewDesc("certmanager_certificate_expiration_timestamp_seconds",
			"The time at which the certificate expires, as a Unix timestamp in seconds (0 before it is issued).", certLabels, nil),
		certRenewal: prometheus.NewDesc("certmanager_certificate_renewal_timestamp_seconds",
			"The time at which the certificate is due to be renewed, as a Unix timestamp in seconds (0 while unknown).", certLabels, nil),
		issuerReady: prometheus.NewDesc("certmanager_issuer_ready_status",
			"The Ready condition of the Issuer: 1 for the condition status it has, 0 for the others.",
			[]string{"name", "namespace", "condition"}, nil),
		clusterIssuerReady: prometheus.NewDesc("certmanager_clusterissuer_ready_status",
			"The Ready condition of the ClusterIssuer: 1 for the condition status it has, 0 for the others.",
			[]string{"name", "condition"}, nil),
		challengeStatus: prometheus.NewDesc("certmanager_certificate_challenge_status",
			"The state of each ACME challenge: 1 for the state it is in, 0 for the others.",
			[]string{"status", "domain", "reason", "processing", "name", "namespace", "type"}, nil),
		// cert-manager deprecates it for certmanager_clock_time_seconds_gauge,
		// a name promtool's lint rejects whatever its type (it contains a
		// type name), so certflow keeps this one.
		clock: prometheus.NewDesc("certmanager_clock_time_seconds",
			"The Manager's clock as a Unix timestamp in seconds (a counter in cert-manager; untyped here).", nil, nil),
		acmeRequests: prometheus.NewDesc("certmanager_http_acme_client_request_count",
			"Number of HTTP requests sent to ACME servers, by scheme, host, action (the logical ACME operation), method and status (the HTTP status code, 999 when no answer came).",
			acmeLabels(), nil),
		acmeOverflow: prometheus.NewDesc("certflow_acme_client_request_series_overflow_total",
			"Number of ACME requests counted with every label \"other\" because the ACME client metrics reached their cap of label tuples.",
			nil, nil),
		syncCalls: prometheus.NewDesc("certmanager_controller_sync_call_count",
			"Number of reconciles (sync calls) of each controller.", []string{"controller"}, nil),
		syncErrors: prometheus.NewDesc("certmanager_controller_sync_error_count",
			"Number of reconciles of each controller that failed (write conflicts, retried at once, are not counted).", []string{"controller"}, nil),
		orders: prometheus.NewDesc("certflow_orders",
			"Number of ACME Orders in each state.", []string{"state"}, nil),
		challenges: prometheus.NewDesc("certflow_challenges",
			"Number of ACME Challenges in each state, by challenge type.", []string{"state", "type"}, nil),
		queueDepth: prometheus.NewDesc("certflow_queue_depth",
			"Number of objects waiting in the work queue to be reconciled.", nil, nil),
		inFlight: prometheus.NewDesc("certflow_queue_in_flight",
			"Number of objects being reconciled now.", nil, nil),
		eventsPending: prometheus.NewDesc("certflow_events_pending",
			"Number of distinct events recorded and not yet stored.", nil, nil),
		eventsLost: prometheus.NewDesc("certflow_events_lost_total",
			"Number of events lost: dropped when too many waited to be stored, or not taken by the Store.", nil, nil),
	}
}

func (d *descs) describe(ch chan<- *prometheus.Desc) {
	for _, x := range []*prometheus.Desc{d.certReady, d.certNotAfter, d.certNotBefore, d.certExpiration, d.certRenewal,
		d.issuerReady, d.clusterIssuerReady, d.challengeStatus, d.clock, d.acmeRequests, d.acmeOverflow,
		d.syncCalls, d.syncErrors, d.orders, d.challenges, d.queueDepth, d.inFlight,
		d.eventsPending, d.eventsLost} {
		ch <- x
	}
}
