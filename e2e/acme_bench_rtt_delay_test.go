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
// them: n requests sent together are all in the first half of their round
// trip at once, then all in the second half at once. Inside the turn only
// one could be, and the halves would wait for the others until ctx ends.
// Counted, not timed: a bound on the wall time (n×rtt/2) failed under
// load, when the turn's n hand-overs alone outlasted it.
func TestRTTTransportOutsideTheTurn(t *testing.T) {
	const n = 20
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // bounds a failure only
	defer cancel()
	ca := roundTripFunc(func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody}, nil
	})
	tr, ok := pebbleTransport(ca, gateTurn, nil, time.Hour).(rttTransport)
	require.True(t, ok, "the round trip is the outermost layer")
	sent, answered := newBarrier(n), newBarrier(n)
	tr.wait = func(ctx context.Context, _ time.Duration) error {
		half := ctx.Value(halfKey{}).(*int)
		*half++ // one request's halves run one after the other
		if *half == 1 {
			return sent.arrive(ctx)
		}
		return answered.arrive(ctx)
	}
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			req := httptest.NewRequestWithContext(context.WithValue(ctx, halfKey{}, new(int)), http.MethodGet, "https://ca.test/dir", nil)
			resp, err := tr.RoundTrip(req)
			if assert.NoError(t, err, "the requests took turns for their round trips") {
				assert.NoError(t, resp.Body.Close())
			}
		})
	}
	wg.Wait()
}

// halfKey marks a request's context with how many halves of its round
// trip it has begun.
type halfKey struct{}

// barrier lets no one past arrive until n have arrived.
type barrier struct {
	mu   sync.Mutex
	left int
	all  chan struct{}
}

func newBarrier(n int) *barrier { return &barrier{left: n, all: make(chan struct{})} }

// arrive waits until n have arrived, or returns ctx's error when it ends
// first.
func (b *barrier) arrive(ctx context.Context) error {
	b.mu.Lock()
	if b.left--; b.left == 0 {
		close(b.all)
	}
	b.mu.Unlock()
	select {
	case <-b.all:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
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
