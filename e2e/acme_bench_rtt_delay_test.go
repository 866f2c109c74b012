package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRTTTransportDelaysBothWays checks that withRTT holds a request half
// the round trip before the CA sees it and its answer the other half after
// the CA answered.
func TestRTTTransportDelaysBothWays(t *testing.T) {
	const rtt = 40 * time.Millisecond
	var reached, answered time.Time
	ca := roundTripFunc(func(*http.Request) (*http.Response, error) {
		reached = time.Now()
		answered = time.Now()
		return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody}, nil
	})
	req := httptest.NewRequest(http.MethodGet, "https://ca.test/dir", nil)
	sent := time.Now()
	resp, err := withRTT(ca, rtt).RoundTrip(req)
	got := time.Now()
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.GreaterOrEqual(t, reached.Sub(sent), rtt/2, "the CA saw the request before half the round trip")
	assert.GreaterOrEqual(t, got.Sub(answered), rtt/2, "the answer came back before half the round trip")
	assert.GreaterOrEqual(t, got.Sub(sent), rtt)
}

// TestRTTTransportOutsideTheTurn checks that the round trip is spent in
// flight, not holding Pebble's one-at-a-time turn as startBenchCA composes
// them: n requests sent together through a CA that answers at once take
// about one round trip, not n (n×rtt/2 is the bound: far above one round
// trip plus scheduling, far below n of them).
func TestRTTTransportOutsideTheTurn(t *testing.T) {
	const rtt, n = 50 * time.Millisecond, 20
	ca := roundTripFunc(func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody}, nil
	})
	tr := pebbleTransport(ca, gateTurn, nil, rtt)
	start := time.Now()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			resp, err := tr.RoundTrip(httptest.NewRequest(http.MethodGet, "https://ca.test/dir", nil))
			if assert.NoError(t, err) {
				assert.NoError(t, resp.Body.Close())
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	assert.GreaterOrEqual(t, took, rtt)
	assert.Less(t, took, n*rtt/2, "the requests took turns for their round trips")
}

// TestRTTTransportHonoursContext checks that a request whose context ends
// during its round trip returns at once with the context's error.
func TestRTTTransportHonoursContext(t *testing.T) {
	ca := roundTripFunc(func(*http.Request) (*http.Response, error) {
		t.Error("the CA saw a request whose context had ended")
		return nil, context.Canceled
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest(http.MethodGet, "https://ca.test/dir", nil).WithContext(ctx)
	_, err := withRTT(ca, time.Hour).RoundTrip(req)
	require.ErrorIs(t, err, context.Canceled)
}

// TestDelayHandlerDelaysValidation checks that a validation fetch is
// answered no sooner than the delay, and answered by the handler.
func TestDelayHandlerDelaysValidation(t *testing.T) {
	const d = vaFetchRTTs * 20 * time.Millisecond
	h := delayHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("key-authorization"))
	}), d)
	rec := httptest.NewRecorder()
	start := time.Now()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, http01Prefix+"token", nil))
	assert.GreaterOrEqual(t, time.Since(start), d)
	assert.Equal(t, "key-authorization", rec.Body.String())
}

// TestBenchRTTOnlyForTheRTTCA checks that the existing CAs keep no delay,
// so their results do not change, and that the knob sets the rtt CA's.
func TestBenchRTTOnlyForTheRTTCA(t *testing.T) {
	t.Setenv(benchRTTEnv, "35ms")
	assert.Zero(t, benchRTT(t, "pebble"))
	assert.Zero(t, benchRTT(t, "acmetest"))
	assert.Equal(t, 35*time.Millisecond, benchRTT(t, rttCA))
	t.Setenv(benchRTTEnv, "")
	assert.Equal(t, defaultBenchRTT, benchRTT(t, rttCA))
}
