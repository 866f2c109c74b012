package metrics

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/acmeproto"
)

func TestACMETransport_CountsAndTimesByCertManagersLabels(t *testing.T) {
	r := newRig(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/acme/new-order" {
			w.WriteHeader(http.StatusCreated)
			return
		}
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	client := &http.Client{Transport: r.m.ACMETransport(srv.Client().Transport, srv.URL+"/dir")}
	send := func(ctx context.Context, method, path string) {
		req, err := http.NewRequestWithContext(ctx, method, srv.URL+path, nil)
		require.NoError(t, err)
		res, err := client.Do(req)
		require.NoError(t, err)
		_ = res.Body.Close()
	}
	order := acmeproto.WithAction(r.ctx, acmeproto.ActionAuthorizeOrder)
	send(order, http.MethodPost, "/acme/new-order")
	send(order, http.MethodPost, "/acme/new-order?secret=never-a-label")
	send(acmeproto.WithAction(r.ctx, acmeproto.ActionGetOrder), http.MethodPost, "/acme/order/123")
	send(r.ctx, http.MethodHead, "/acme/new-nonce")

	host := mustHost(t, srv.URL)
	got := gather(t, r.m)
	count := got["certmanager_http_acme_client_request_count"]
	assert.Equal(t, dto.MetricType_UNTYPED, count.typ)
	assert.Equal(t, map[string]float64{
		`{action="authorize_order",host="` + host + `",method="POST",scheme="http",status="201"}`: 2,
		`{action="get_order",host="` + host + `",method="POST",scheme="http",status="429"}`:       1,
		`{action="unnamed_action",host="` + host + `",method="HEAD",scheme="http",status="429"}`:  1,
	}, count.samples)
	duration := got["certmanager_http_acme_client_request_duration_seconds"]
	assert.Equal(t, dto.MetricType_SUMMARY, duration.typ)
	assert.Equal(t, count.samples, duration.samples, "one observation per request, same labels")
}

type failingTransport struct{}

func (failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("connection refused")
}

func TestACMETransport_NoAnswerIsStatus999(t *testing.T) {
	r := newRig(t)
	req, err := http.NewRequestWithContext(acmeproto.WithAction(r.ctx, acmeproto.ActionGetRegistration),
		http.MethodPost, "https://ca.example.test/acme/new-acct", nil)
	require.NoError(t, err)
	_, err = r.m.ACMETransport(failingTransport{}, "https://ca.example.test/dir").RoundTrip(req)
	require.Error(t, err)
	assert.Equal(t, map[string]float64{
		`{action="get_registration",host="ca.example.test",method="POST",scheme="https",status="999"}`: 1,
	}, gather(t, r.m)["certmanager_http_acme_client_request_count"].samples)
}

func mustHost(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u.Host
}
