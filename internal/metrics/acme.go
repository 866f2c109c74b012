package metrics

import (
	"net/http"
	"sync"
	"sync/atomic"
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
// directoryURL is the Issuer's server: its host is the only one named in
// the host label, any other is "other" (see acme_labels.go for why every
// label is bounded).
func (m *Metrics) ACMETransport(base http.RoundTripper, directoryURL string) http.RoundTripper {
	return &acmeTransport{base: base, m: m, home: homeOf(directoryURL)}
}

type acmeTransport struct {
	base http.RoundTripper
	m    *Metrics
	home acmeHome
}

func (t *acmeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	// Wall time, not the Manager's clock: a latency measured, not a decision.
	start := time.Now()
	res, err := t.base.RoundTrip(req)
	elapsed := time.Since(start)
	status := noAnswer
	if res != nil {
		status = statusLabel(res.StatusCode)
	}
	k := acmeKey{scheme: schemeLabel(req.URL.Scheme), host: t.home.label(req.URL.Host),
		action: string(acmeproto.ActionOf(req.Context())), method: methodLabel(req.Method), status: status}
	obs, k := t.m.acmeObservers.get(k, t.home.canon, t.m.acmeDuration)
	obs.Observe(elapsed.Seconds())
	t.m.acmeRequests.counter(k).Add(1)
	return res, err
}

// acmeObservers keeps the summary of each label tuple once used:
// SummaryVec.WithLabelValues validated and hashed the five labels and took
// the vector's lock on each of the ~7 requests per certificate. It also
// admits the tuples: past maxACMESeries, or past maxACMESeriesPerCA added
// by the transports of one CA, a new one is counted as acmeOverflowKey, so
// neither metric nor this map grows further.
type acmeObservers struct {
	mu sync.RWMutex
	m  map[acmeKey]prometheus.Observer
	// perCA counts the tuples admitted by the transports of each CA (the
	// canonical host of their directory URL).
	perCA map[string]int
	// overflow counts the requests counted as acmeOverflowKey.
	overflow atomic.Uint64
}

// get returns the summary of k, sent by a transport of ca, and the tuple
// the request is counted in: k, or acmeOverflowKey once a cap is reached.
func (o *acmeObservers) get(k acmeKey, ca string, vec *prometheus.SummaryVec) (prometheus.Observer, acmeKey) {
	o.mu.RLock()
	obs := o.m[k]
	o.mu.RUnlock()
	if obs != nil {
		return obs, k
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if obs = o.m[k]; obs != nil {
		return obs, k
	}
	if len(o.m) >= maxACMESeries || o.perCA[ca] >= maxACMESeriesPerCA {
		o.overflow.Add(1)
		k = acmeOverflowKey
		if obs = o.m[k]; obs != nil {
			return obs, k
		}
	} else {
		if o.perCA == nil {
			o.perCA = map[string]int{}
		}
		o.perCA[ca]++
	}
	obs = vec.WithLabelValues(k.values()...)
	if o.m == nil {
		o.m = map[acmeKey]prometheus.Observer{}
	}
	o.m[k] = obs
	return obs, k
}
