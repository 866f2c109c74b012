package metrics

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/store"
)

// Options configure a Metrics.
type Options struct {
	// Clock is the Manager's clock, exposed as certmanager_clock_time_seconds
	// (so that alerts comparing it with certificate timestamps see the time
	// the Manager decides with). If nil, clock.Real.
	Clock clock.Clock
	// Store is read at scrape time for the objects that changed since the
	// previous scrape. Required.
	Store store.Reader
	// Queue reports how many objects wait in the work queue and how many are
	// being reconciled. If nil, the queue gauges are not exposed.
	Queue func() (waiting, inFlight int)
	// Logger receives scrape-time Store errors. If nil, they are discarded.
	Logger *slog.Logger
	// RefreshTimeout bounds the Store reads of one scrape; objects left
	// unread keep their previous values and are read at the next scrape.
	// If zero, 5 seconds.
	RefreshTimeout time.Duration
}

// Metrics is one Manager's metrics, a prometheus.Collector. Its methods
// are safe for concurrent use.
type Metrics struct {
	opts    Options
	d       descs
	objects *objectIndex
	// events, if set, reports the events writer's backlog and losses.
	events func() (pending int, lost uint64)

	acmeRequests *untypedCounters[acmeKey]
	acmeDuration *prometheus.SummaryVec
	// acmeObservers are acmeDuration's, per tuple used.
	acmeObservers acmeObservers
	syncCalls     *untypedCounters[string]
	syncErrors    *untypedCounters[string]
	syncDuration  *prometheus.HistogramVec
	solverOps     *prometheus.HistogramVec
	selfChecks    *prometheus.HistogramVec
	dnsQueries    *prometheus.CounterVec
	storeOps      *prometheus.HistogramVec
	storeObs      storeObservers
	onDemand      *prometheus.CounterVec
	invalidKeys   prometheus.Counter
}

var _ prometheus.Collector = (*Metrics)(nil)

// New returns the metrics of one Manager. It starts nothing.
func New(opts Options) *Metrics {
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.RefreshTimeout <= 0 {
		opts.RefreshTimeout = 5 * time.Second
	}
	return &Metrics{
		opts:         opts,
		d:            newDescs(),
		objects:      newObjectIndex(opts.Store, opts.Logger),
		acmeRequests: newUntypedCounters[acmeKey](),
		acmeDuration: prometheus.NewSummaryVec(prometheus.SummaryOpts{
			Namespace: "certmanager", Subsystem: "http", Name: "acme_client_request_duration_seconds",
			Help: "Latency in seconds of HTTP requests to ACME servers until the answer's headers arrived, " +
				"by the labels of certmanager_http_acme_client_request_count.",
			// cert-manager v1.21.1's objectives.
			Objectives: map[float64]float64{0.5: 0.05, 0.9: 0.01, 0.99: 0.001},
		}, acmeLabels()),
		syncCalls:  newUntypedCounters[string](),
		syncErrors: newUntypedCounters[string](),
		syncDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "certflow_controller_sync_duration_seconds",
			Help:    "Duration in seconds of each reconcile (sync call), by controller.",
			Buckets: []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120},
		}, []string{"controller"}),
		solverOps: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "certflow_solver_operation_duration_seconds",
			Help: "Duration in seconds of solver calls: operation is present or cleanup; type the challenge type; " +
				"provider the DNS-01 provider (empty for HTTP-01 and TLS-ALPN-01); result success or error.",
			Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"operation", "type", "provider", "result"}),
		selfChecks: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "certflow_challenge_self_check_duration_seconds",
			Help: "Duration in seconds of each self-check attempt before a challenge is accepted (for DNS-01, the " +
				"propagation check on every authoritative nameserver), by challenge type and result (passed or failed).",
			Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}, []string{"type", "result"}),
		dnsQueries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "certflow_dns01_queries_total",
			Help: "DNS queries sent by the DNS-01 propagation check, by transport (udp or tcp) and the reply's " +
				"rcode (none when no reply came).",
		}, []string{"proto", "rcode"}),
		storeOps: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "certflow_store_operation_duration_seconds",
			Help: "Duration in seconds of Store calls made by the Manager, by operation and result " +
				"(success, not_found, conflict, already_exists, locked, lease_lost, canceled or error).",
			Buckets: []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5},
		}, []string{"operation", "result"}),
		onDemand:    newOnDemandHandshakes(),
		invalidKeys: newInvalidServingKeys(),
	}
}

func (m *Metrics) vectors() []prometheus.Collector {
	return []prometheus.Collector{m.acmeDuration, m.syncDuration, m.solverOps, m.selfChecks, m.dnsQueries, m.storeOps,
		m.onDemand, m.invalidKeys}
}

// Describe sends the description of every metric.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	m.d.describe(ch)
	for _, v := range m.vectors() {
		v.Describe(ch)
	}
}

// Collect sends every metric's current value, first reading the objects
// that changed since the previous scrape.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	now := float64(m.opts.Clock.Now().Unix())
	ch <- prometheus.MustNewConstMetric(m.d.clock, prometheus.UntypedValue, now)
	m.acmeRequests.collect(ch, m.d.acmeRequests, acmeKey.values)
	ch <- prometheus.MustNewConstMetric(m.d.acmeOverflow, prometheus.CounterValue, float64(m.acmeObservers.overflow.Load()))
	m.syncCalls.collect(ch, m.d.syncCalls, func(c string) []string { return []string{c} })
	m.syncErrors.collect(ch, m.d.syncErrors, func(c string) []string { return []string{c} })
	for _, v := range m.vectors() {
		v.Collect(ch)
	}
	if m.opts.Queue != nil {
		waiting, inFlight := m.opts.Queue()
		ch <- prometheus.MustNewConstMetric(m.d.queueDepth, prometheus.GaugeValue, float64(waiting))
		ch <- prometheus.MustNewConstMetric(m.d.inFlight, prometheus.GaugeValue, float64(inFlight))
	}
	m.collectEvents(ch)
	m.objects.refresh(m.opts.RefreshTimeout)
	m.objects.collect(ch, &m.d)
}
