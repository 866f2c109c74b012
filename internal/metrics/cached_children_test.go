package metrics

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// statusTransport answers each request with the status its path names.
type statusTransport struct{}

func (statusTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	code, err := strconv.Atoi(req.URL.Path[1:])
	if err != nil {
		return nil, err
	}
	return &http.Response{StatusCode: code, Body: http.NoBody, Request: req}, nil
}

// The ACME summary and the Store histogram keep each label tuple's child
// once resolved (acmeObservers, storeObservers): goroutines resolving the
// same tuples at once, and a scrape meanwhile, lose no observation and
// share one series per tuple. Under -race it checks the caches' locking.
func TestCachedChildren_ConcurrentFirstUses(t *testing.T) {
	r := newRig(t)
	rt := r.m.ACMETransport(statusTransport{}, "https://ca.test/dir")
	codes := []int{200, 201, 400, 429}
	const workers, each = 8, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				req, err := http.NewRequestWithContext(r.ctx, http.MethodPost, fmt.Sprintf("https://ca.test/%d", codes[(w+i)%len(codes)]), nil)
				if !assert.NoError(t, err) {
					return
				}
				if res, err := rt.RoundTrip(req); assert.NoError(t, err) {
					_ = res.Body.Close()
				}
				r.m.storeObserver(storeOp(i%int(storeOpCount)), storeResultOf(nil)).Observe(0.001)
			}
		}()
	}
	scraped := make(chan struct{})
	go func() {
		defer close(scraped)
		ch := make(chan prometheus.Metric)
		go func() { r.m.Collect(ch); close(ch) }()
		for range ch {
		}
	}()
	wg.Wait()
	<-scraped

	got := gather(t, r.m)
	duration := got["certmanager_http_acme_client_request_duration_seconds"].samples
	require.Len(t, duration, len(codes), "one series per status")
	for key, n := range duration {
		assert.Equal(t, float64(workers*each/len(codes)), n, key)
	}
	var stored float64
	for key, n := range got["certflow_store_operation_duration_seconds"].samples {
		if !assert.Contains(t, key, `result="success"`) {
			continue
		}
		stored += n
	}
	assert.Equal(t, float64(workers*each), stored)
}
