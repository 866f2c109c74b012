package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/certflow/certflow/internal/acmeproto"
)

// acmeKey is one label tuple of the ACME client metrics.
type acmeKey struct{ scheme, host, action, method, status string }

func (k acmeKey) values() []string { return []string{k.scheme, k.host, k.action, k.method, k.status} }

// ACMETransport wraps the transport of an ACME client so that every
// request that leaves for the CA is counted and timed, as cert-manager's
// instrumented ACME client does (pkg/acme/client/http.go): by scheme, host,
// the action its context names (acmeproto.WithAction), method and status.
// Only the host of the URL is kept: no path, query or body reaches a label.
func (m *Metrics) ACMETransport(base http.RoundTripper) http.RoundTripper {
	return &acmeTransport{base: base, m: m}
}

type acmeTransport struct {
	base http.RoundTripper
	m    *Metrics
}

func (t *acmeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	// Wall time, not the Manager's clock: a latency measured, not a decision.
	start := time.Now()
	res, err := t.base.RoundTrip(req)
	elapsed := time.Since(start)
	// cert-manager's status for a request that got no answer.
	status := "999"
	if res != nil {
		status = strconv.Itoa(res.StatusCode)
	}
	k := acmeKey{scheme: req.URL.Scheme, host: req.URL.Host, action: string(acmeproto.ActionOf(req.Context())),
		method: req.Method, status: status}
	t.m.acmeObservers.get(k, t.m.acmeDuration).Observe(elapsed.Seconds())
	t.m.acmeRequests.counter(k).Add(1)
	return res, err
}

// acmeObservers keeps the summary of each label tuple once used:
// SummaryVec.WithLabelValues validated and hashed the five labels and took
// the vector's lock on each of the ~7 requests per certificate.
type acmeObservers struct {
	mu sync.RWMutex
	m  map[acmeKey]prometheus.Observer
}

func (o *acmeObservers) get(k acmeKey, vec *prometheus.SummaryVec) prometheus.Observer {
	o.mu.RLock()
	obs := o.m[k]
	o.mu.RUnlock()
	if obs != nil {
		return obs
	}
	obs = vec.WithLabelValues(k.values()...)
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil {
		o.m = map[acmeKey]prometheus.Observer{}
	}
	o.m[k] = obs
	return obs
}
