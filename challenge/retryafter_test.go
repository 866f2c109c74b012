package challenge_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/challenge"
)

func TestRetryAfterRecorder(t *testing.T) {
	ctx := testCtx(t)
	date := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/seconds":
			w.Header().Set("Retry-After", "3")
		case "/date":
			w.Header().Set("Retry-After", date)
		case "/garbage":
			w.Header().Set("Retry-After", "soon")
		}
	}))
	t.Cleanup(srv.Close)
	rec := &challenge.RetryAfterRecorder{Base: srv.Client().Transport}
	cl := &http.Client{Transport: rec}
	for _, p := range []string{"/seconds", "/date", "/garbage", "/none"} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+p, nil)
		require.NoError(t, err)
		res, err := cl.Do(req)
		require.NoError(t, err)
		require.NoError(t, res.Body.Close())
	}

	d, ok := rec.RetryAfter(srv.URL + "/seconds")
	assert.True(t, ok)
	assert.Equal(t, 3*time.Second, d)
	_, ok = rec.RetryAfter(srv.URL + "/seconds")
	assert.False(t, ok, "a hint is used once")

	d, ok = rec.RetryAfter(srv.URL + "/date")
	assert.True(t, ok)
	assert.InDelta(t, time.Hour.Seconds(), d.Seconds(), 5)

	_, ok = rec.RetryAfter(srv.URL + "/garbage")
	assert.False(t, ok)
	_, ok = rec.RetryAfter(srv.URL + "/none")
	assert.False(t, ok)
}

func TestPace(t *testing.T) {
	hint := func(url string) (time.Duration, bool) {
		switch url {
		case "hinted":
			return 7 * time.Second, true
		case "zero":
			return 0, true
		}
		return 0, false
	}
	tests := []struct {
		name string
		hint func(string) (time.Duration, bool)
		url  string
		want time.Duration
	}{
		{"no hint func", nil, "hinted", time.Second},
		{"hint used", hint, "hinted", 7 * time.Second},
		{"zero hint falls back", hint, "zero", time.Second},
		{"no hint for url", hint, "other", time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, challenge.Pace(tt.hint, tt.url, time.Second))
		})
	}
}

// TestRetryAfterRecorder_AnswerWithoutHint: an answer without Retry-After
// drops the URL's earlier hint, and while no hint is held passing it on
// costs no allocation (most of an issuance's ACME answers carry none).
func TestRetryAfterRecorder_AnswerWithoutHint(t *testing.T) {
	hinted := &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Retry-After": {"3"}}}
	plain := &http.Response{StatusCode: http.StatusOK, Header: http.Header{}}
	next := hinted
	rec := &challenge.RetryAfterRecorder{Base: roundTripper(func(*http.Request) (*http.Response, error) { return next, nil })}
	req, err := http.NewRequest(http.MethodPost, "https://ca.example/order/1", nil)
	require.NoError(t, err)

	_, err = rec.RoundTrip(req)
	require.NoError(t, err)
	next = plain
	_, err = rec.RoundTrip(req)
	require.NoError(t, err)
	_, ok := rec.RetryAfter("https://ca.example/order/1")
	assert.False(t, ok, "the later answer had no Retry-After")

	allocs := testing.AllocsPerRun(100, func() { _, _ = rec.RoundTrip(req) })
	assert.Zero(t, allocs)
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
