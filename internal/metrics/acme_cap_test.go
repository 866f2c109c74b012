package metrics

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Hosts the Issuers configure are named, and each namespaced Issuer may
// name its own: past maxACMESeries tuples, a new one is counted in the
// all-"other" tuple and in the overflow counter, no request is lost, and
// the tuples admitted before go on counting.
func TestACMETransport_CapsSeriesAtMaxACMESeries(t *testing.T) {
	r := newRig(t)
	send := func(host string) {
		t.Helper()
		req, err := http.NewRequestWithContext(r.ctx, http.MethodPost, "https://"+host+"/200", nil)
		require.NoError(t, err)
		res, err := r.m.ACMETransport(statusTransport{}, "https://"+host+"/dir").RoundTrip(req)
		require.NoError(t, err)
		_ = res.Body.Close()
	}
	const past = 200
	for i := range maxACMESeries + past {
		send(fmt.Sprintf("ca%d.example.test", i))
	}
	send("ca0.example.test")

	got := gather(t, r.m)
	count := got["certmanager_http_acme_client_request_count"].samples
	require.Equal(t, maxACMESeries+1, len(count))
	assert.Equal(t, maxACMESeries+1, len(got["certmanager_http_acme_client_request_duration_seconds"].samples))
	assert.Equal(t, float64(past), count[`{action="other",host="other",method="other",scheme="other",status="other"}`])
	assert.Equal(t, float64(past), got["certflow_acme_client_request_series_overflow_total"].samples["{}"])
	assert.Equal(t, float64(2), count[`{action="unnamed_action",host="ca0.example.test",method="POST",scheme="https",status="200"}`])
	var total float64
	for _, n := range count {
		total += n
	}
	assert.Equal(t, float64(maxACMESeries+past+1), total, "every request counted")
}
