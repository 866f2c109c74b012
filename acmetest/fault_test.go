package acmetest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/acmetest"
)

type problemDoc struct {
	Type   string `json:"type"`
	Status int    `json:"status"`
}

// rawDo sends one request on a fresh connection (no transport retries) and
// returns the answer with its body read.
func rawDo(ctx context.Context, t *testing.T, s *acmetest.Server, method, url string, body []byte) (*http.Response, []byte, error) {
	t.Helper()
	tr := s.Client().Transport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("User-Agent", "acmetest-raw")
	req.Header.Set("Content-Type", "application/jose+json")
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = res.Body.Close() }()
	b, err := io.ReadAll(res.Body)
	return res, b, err
}

func decodeProblem(t *testing.T, res *http.Response, body []byte) problemDoc {
	t.Helper()
	assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
	var p problemDoc
	require.NoError(t, json.Unmarshal(body, &p))
	assert.Equal(t, res.StatusCode, p.Status)
	return p
}

func TestFaultBadNonceGivesUsableNonce(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	s := acmetest.NewServer(t, acmetest.WithFaults(acmetest.BadNonce(acmetest.EndpointNewAccount, 1)))
	newAccount := s.URL() + "/sign-me-up"

	res, body, err := rawDo(ctx, t, s, http.MethodPost, newAccount, []byte("{}"))
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Equal(t, "urn:ietf:params:acme:error:badNonce", decodeProblem(t, res, body).Type)
	nonce := res.Header.Get("Replay-Nonce")
	require.NotEmpty(t, nonce)

	// The fresh nonce is one Pebble accepts: a retry with it succeeds.
	jws := signJWS(t, newKey(t), nonce, newAccount, map[string]any{"termsOfServiceAgreed": true})
	res, body, err = rawDo(ctx, t, s, http.MethodPost, newAccount, jws)
	require.NoError(t, err)
	assert.Equal(t, http.StatusCreated, res.StatusCode, string(body))
	assert.Equal(t, 2, s.Requests(acmetest.EndpointNewAccount))
}

func TestFaultBadNonceIsRetriedByXCryptoACME(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	s := acmetest.NewServer(t, acmetest.WithFaults(acmetest.BadNonce(acmetest.EndpointNewOrder, 1)))
	cl := registeredClient(ctx, t, s)

	_, err := cl.AuthorizeOrder(ctx, acme.DomainIDs("retry.example.test"))
	require.NoError(t, err)
	assert.Equal(t, 2, s.Requests(acmetest.EndpointNewOrder))
	assert.Equal(t, 1, s.OrderCount())
}

func TestFaultRateLimited(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	s := acmetest.NewServer(t, acmetest.WithFaults(
		acmetest.RateLimited(acmetest.EndpointNewOrder, 1, 1500*time.Millisecond)))

	res, body, err := rawDo(ctx, t, s, http.MethodPost, s.URL()+"/order-plz", []byte("{}"))
	require.NoError(t, err)
	require.Equal(t, http.StatusTooManyRequests, res.StatusCode)
	assert.Equal(t, "2", res.Header.Get("Retry-After"), "rounded up to whole seconds")
	assert.Equal(t, "urn:ietf:params:acme:error:rateLimited", decodeProblem(t, res, body).Type)
	assert.NotEmpty(t, res.Header.Get("Replay-Nonce"))
	assert.Zero(t, s.OrderCount())
}

func TestFaultRejectedIdentifier(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	s := acmetest.NewServer(t, acmetest.WithFaults(acmetest.RejectedIdentifier(acmetest.EndpointNewOrder, 1)))

	res, body, err := rawDo(ctx, t, s, http.MethodPost, s.URL()+"/order-plz", []byte("{}"))
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Equal(t, "urn:ietf:params:acme:error:rejectedIdentifier", decodeProblem(t, res, body).Type)
	assert.NotEmpty(t, res.Header.Get("Replay-Nonce"))
	assert.Zero(t, s.OrderCount())
	assert.Equal(t, "RejectedIdentifier", acmetest.FaultRejectedIdentifier.String())
}

func TestFaultServerInternalOnNthOnly(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	s := acmetest.NewServer(t, acmetest.WithFaults(acmetest.ServerInternal(acmetest.EndpointDirectory, 2)))

	var codes []int
	for range 3 {
		res, body, err := rawDo(ctx, t, s, http.MethodGet, s.DirectoryURL(), nil)
		require.NoError(t, err)
		codes = append(codes, res.StatusCode)
		if res.StatusCode == http.StatusInternalServerError {
			assert.Equal(t, "urn:ietf:params:acme:error:serverInternal", decodeProblem(t, res, body).Type)
		}
	}
	assert.Equal(t, []int{200, 500, 200}, codes)
	assert.Equal(t, 3, s.Requests(acmetest.EndpointDirectory))
}

func TestFaultRepeat(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	s := acmetest.NewServer(t, acmetest.WithFaults(
		acmetest.Fault{Endpoint: acmetest.EndpointDirectory, Nth: 2, Repeat: 2, Kind: acmetest.FaultServerInternal},
		acmetest.Fault{Endpoint: acmetest.EndpointNewNonce, Nth: 2, Repeat: -1, Kind: acmetest.FaultServerInternal},
	))
	get := func(url string) int {
		res, _, err := rawDo(ctx, t, s, http.MethodGet, url, nil)
		require.NoError(t, err)
		return res.StatusCode
	}
	var dir, nonce []int
	for range 4 {
		dir = append(dir, get(s.DirectoryURL()))
		nonce = append(nonce, get(s.URL()+"/nonce-plz"))
	}
	assert.Equal(t, []int{200, 500, 500, 200}, dir)
	assert.Equal(t, []int{204, 500, 500, 500}, nonce)
}

func TestFaultDelayPassesThrough(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	const d = 200 * time.Millisecond
	s := acmetest.NewServer(t, acmetest.WithFaults(acmetest.Delay(acmetest.EndpointDirectory, 1, d)))

	start := time.Now()
	res, body, err := rawDo(ctx, t, s, http.MethodGet, s.DirectoryURL(), nil)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), d, "the answer waited at least the delay")
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, string(body), "newNonce")
}

// waitRequests polls until s has seen n requests to e.
func waitRequests(ctx context.Context, t *testing.T, s *acmetest.Server, e acmetest.Endpoint, n int) {
	t.Helper()
	_, err := poll(ctx, func() (int, error) { return s.Requests(e), nil }, func(c int) bool { return c >= n })
	require.NoError(t, err)
}

func TestFaultDelayEndsOnClose(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	s, err := acmetest.Start(acmetest.WithFaults(acmetest.Delay(acmetest.EndpointDirectory, 1, time.Hour)))
	require.NoError(t, err)
	t.Cleanup(s.Close)

	got := make(chan int, 1)
	go func() {
		res, _, err := rawDo(ctx, t, s, http.MethodGet, s.DirectoryURL(), nil)
		if err != nil {
			got <- 0
			return
		}
		got <- res.StatusCode
	}()
	waitRequests(ctx, t, s, acmetest.EndpointDirectory, 1)

	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-ctx.Done():
		t.Fatal("Close hung on a delayed request")
	}
	assert.Equal(t, http.StatusServiceUnavailable, <-got)
}

func TestFaultDelayEndsWhenClientLeaves(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	s := acmetest.NewServer(t, acmetest.WithFaults(acmetest.Delay(acmetest.EndpointDirectory, 1, time.Hour)))

	reqCtx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() {
		_, _, err := rawDo(reqCtx, t, s, http.MethodGet, s.DirectoryURL(), nil)
		errc <- err
	}()
	waitRequests(ctx, t, s, acmetest.EndpointDirectory, 1)
	cancel()
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, context.Canceled)
	case <-ctx.Done():
		t.Fatal("request did not end")
	}
	// The handler returned too: the next request is answered at once.
	res, _, err := rawDo(ctx, t, s, http.MethodGet, s.DirectoryURL(), nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.StatusCode)
}

// A client that goes away while its request with a body (a finalize with
// its CSR) is held is noticed too: the request never reaches Pebble.
func TestFaultDelayEndsWhenClientLeavesMidPost(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	const hold = 500 * time.Millisecond
	s := acmetest.NewServer(t, acmetest.WithFaults(acmetest.Delay(acmetest.EndpointFinalize, 1, hold)))

	reqCtx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() {
		_, _, err := rawDo(reqCtx, t, s, http.MethodPost, s.URL()+"/finalize-order/x", []byte(`{"protected":"e30","payload":"e30","signature":"AA"}`))
		errc <- err
	}()
	waitRequests(ctx, t, s, acmetest.EndpointFinalize, 1)
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)
	// Nothing can signal that a request was not passed on: watch past the
	// hold for it to be.
	assert.Never(t, func() bool { return len(s.PostsPerPath(acmetest.EndpointFinalize)) > 0 }, 3*hold, 10*time.Millisecond,
		"a request whose client left while it was held reaches Pebble")
}

func TestFaultDropConnection(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	s := acmetest.NewServer(t, acmetest.WithFaults(acmetest.DropConnection(acmetest.EndpointNewNonce, 1)))

	_, _, err := rawDo(ctx, t, s, http.MethodHead, s.URL()+"/nonce-plz", nil)
	require.Error(t, err)
	assert.False(t, errors.Is(err, context.DeadlineExceeded))
	res, _, err := rawDo(ctx, t, s, http.MethodHead, s.URL()+"/nonce-plz", nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, 2, s.Requests(acmetest.EndpointNewNonce))
}

func TestInjectFaultAtRuntime(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	s := acmetest.NewServer(t)
	status := func() int {
		res, _, err := rawDo(ctx, t, s, http.MethodGet, s.DirectoryURL(), nil)
		require.NoError(t, err)
		return res.StatusCode
	}
	require.Equal(t, http.StatusOK, status())
	require.NoError(t, s.InjectFault(acmetest.ServerInternal(acmetest.EndpointDirectory, s.Requests(acmetest.EndpointDirectory)+1)))
	assert.Equal(t, http.StatusInternalServerError, status())
	assert.Equal(t, http.StatusOK, status())
}

func TestInvalidFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault acmetest.Fault
	}{
		{"no endpoint", acmetest.Fault{Nth: 1, Kind: acmetest.FaultServerInternal}},
		{"unknown endpoint", acmetest.Fault{Endpoint: "bogus", Nth: 1, Kind: acmetest.FaultServerInternal}},
		{"zero Nth", acmetest.Fault{Endpoint: acmetest.EndpointDirectory, Kind: acmetest.FaultServerInternal}},
		{"no kind", acmetest.Fault{Endpoint: acmetest.EndpointDirectory, Nth: 1}},
		{"negative delay", acmetest.Delay(acmetest.EndpointDirectory, 1, -time.Second)},
	}
	s := acmetest.NewServer(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.ErrorIs(t, s.InjectFault(tt.fault), acmetest.ErrInvalidOption)
			_, err := acmetest.Start(acmetest.WithFaults(tt.fault))
			assert.ErrorIs(t, err, acmetest.ErrInvalidOption)
		})
	}
}
