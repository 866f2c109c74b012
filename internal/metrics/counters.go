package metrics

import (
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// untypedCounters counts by a label tuple K and is exposed as untyped
// samples. cert-manager's counters named *_count cannot be exposed with the
// counter type under their own names without failing promtool's lint
// (a counter must end in _total, and _count is reserved for histograms and
// summaries); untyped keeps the name every cert-manager dashboard and alert
// uses, and PromQL's rate() and increase() read it the same way (the type
// is metadata only).
type untypedCounters[K comparable] struct {
	mu sync.RWMutex
	n  map[K]*atomic.Uint64
}

func newUntypedCounters[K comparable]() *untypedCounters[K] {
	return &untypedCounters[K]{n: map[K]*atomic.Uint64{}}
}

// counter returns the counter of k, creating it at zero.
func (c *untypedCounters[K]) counter(k K) *atomic.Uint64 {
	c.mu.RLock()
	n := c.n[k]
	c.mu.RUnlock()
	if n != nil {
		return n
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if n = c.n[k]; n == nil {
		n = &atomic.Uint64{}
		c.n[k] = n
	}
	return n
}

// collect sends one untyped sample per label tuple; values gives the label
// values of a tuple in the order of desc's labels.
func (c *untypedCounters[K]) collect(ch chan<- prometheus.Metric, desc *prometheus.Desc, values func(K) []string) {
	// Sent outside the lock: a slow scrape must not hold up a new label
	// tuple on the ACME or reconcile path.
	c.mu.RLock()
	keys := make([]K, 0, len(c.n))
	counts := make([]*atomic.Uint64, 0, len(c.n))
	for k, n := range c.n {
		keys, counts = append(keys, k), append(counts, n)
	}
	c.mu.RUnlock()
	for i, k := range keys {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.UntypedValue, float64(counts[i].Load()), values(k)...)
	}
}
