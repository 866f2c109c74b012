package e2e

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The gate itself (its classes and its fairness) is tested in
// internal/pebblegate; these test how the harness uses it.

// TestClassTransport_AnswerWithoutLengthFails: a gated answer whose head
// may have left before its handler returned is refused, a free one not.
func TestClassTransport_AnswerWithoutLengthFails(t *testing.T) {
	ca := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Request: req, ContentLength: -1}, nil
	})
	tr := byClass(ca, nil)
	_, err := tr.RoundTrip(httptest.NewRequest(http.MethodPost, "https://ca.test/authZ/a", nil))
	require.ErrorContains(t, err, "without a Content-Length")
	res, err := tr.RoundTrip(httptest.NewRequest(http.MethodPost, "https://ca.test/certZ/a", nil))
	require.NoError(t, err)
	_ = res.Body.Close()
}

// TestBenchGate_DefaultIsClasses: unset, the gate is the classes; the old
// turn is chosen by name.
func TestBenchGate_DefaultIsClasses(t *testing.T) {
	t.Setenv(benchGateEnv, "")
	assert.Equal(t, gateClasses, benchGate(t))
	t.Setenv(benchGateEnv, gateTurn)
	assert.Equal(t, gateTurn, benchGate(t))
	_, isTurn := gated(gateTurn, http.DefaultTransport, nil).(serialTransport)
	assert.True(t, isTurn)
}
