package acmeproto

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"golang.org/x/crypto/acme"
)

func TestClassify(t *testing.T) {
	now := time.Unix(1e9, 0)
	hdr := func(v string) http.Header { return http.Header{"Retry-After": {v}} }
	tests := []struct {
		name  string
		err   error
		class Class
		retry time.Duration
	}{
		{"429 with Retry-After", &acme.Error{StatusCode: 429, ProblemType: ProblemRateLimited, Header: hdr("3")}, RateLimited, 3 * time.Second},
		{"429 without a problem type", &acme.Error{StatusCode: 429}, RateLimited, 0},
		{"bad nonce", &acme.Error{StatusCode: 400, ProblemType: ProblemBadNonce}, BadNonce, 0},
		{"account gone", &acme.Error{StatusCode: 400, ProblemType: ProblemAccountDoesNotExist}, AccountGone, 0},
		{"500", &acme.Error{StatusCode: 500, ProblemType: ProblemServerInternal, Header: hdr("10")}, Transient, 10 * time.Second},
		{"408", &acme.Error{StatusCode: 408}, Transient, 0},
		{"403 unauthorized", &acme.Error{StatusCode: 403, ProblemType: "urn:ietf:params:acme:error:unauthorized"}, Terminal, 0},
		{"wrapped 400", fmt.Errorf("order: finalize: %w", &acme.Error{StatusCode: 400, ProblemType: "urn:ietf:params:acme:error:badCSR"}), Terminal, 0},
		{"order invalid", &acme.OrderError{Status: "invalid", Problem: &acme.Error{ProblemType: "urn:ietf:params:acme:error:unauthorized", Detail: "nope"}}, Terminal, 0},
		{"network", errors.New("dial tcp: connection refused"), Transient, 0},
		{"deadline", context.DeadlineExceeded, Transient, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Classify(tt.err, now)
			assert.Equal(t, tt.class, p.Class)
			assert.Equal(t, tt.retry, p.RetryAfter)
		})
	}
	assert.Equal(t, "urn:ietf:params:acme:error:unauthorized: nope",
		Classify(&acme.OrderError{Status: "invalid", Problem: &acme.Error{ProblemType: "urn:ietf:params:acme:error:unauthorized", Detail: "nope"}}, now).String())
}

func TestStatus(t *testing.T) {
	for _, s := range []Status{StatusValid, StatusInvalid, StatusExpired, StatusDeactivated, StatusRevoked} {
		assert.True(t, s.Final(), s)
	}
	for _, s := range []Status{StatusPending, StatusReady, StatusProcessing, "bogus"} {
		assert.False(t, s.Final(), s)
	}
}
