package certificate

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
)

// TestShouldBackoff_CertManager ports Test_shouldBackoffReissuingOnFailure
// from cert-manager v1.21.1,
// pkg/controller/certificates/trigger/trigger_controller_test.go: 28 rows
// ported, all agree. Rows leave the bounds at cert-manager's defaults (1h,
// 32h) unless they set them.
func TestShouldBackoff_CertManager(t *testing.T) {
	now := time.Date(2020, 11, 20, 16, 5, 0, 0, time.UTC)
	key := testKey(t, "ec-256", "ECDSA", 256)
	certFor := func(dns string, lastFailure *time.Duration, attempts *int) *Certificate {
		c := &Certificate{ObjectMeta: meta.ObjectMeta{Namespace: "testns", Name: "cert-1", UID: "cert-1-uid"},
			Spec: Spec{DNSNames: []string{dns}}}
		rev := 1
		c.Status.Revision = &rev
		if lastFailure != nil {
			at := now.Add(-*lastFailure)
			c.Status.LastFailureTime = &at
		}
		c.Status.FailedIssuanceAttempts = attempts
		return c
	}
	nextCR := func() *request.CertificateRequest {
		spec := Spec{DNSNames: []string{"example.com"}}
		return &request.CertificateRequest{Spec: request.Spec{Request: csrFor(t, key, &spec)}}
	}
	ago := func(d time.Duration) *time.Duration { return &d }
	n := func(i int) *int { return &i }
	rows := map[string]struct {
		cert            *Certificate
		next            *request.CertificateRequest
		minDelay, maxDl time.Duration
		wantBackoff     bool
		wantDelay       time.Duration
	}{
		"no need to backoff from reissuing when the input request is nil": {
			cert: &Certificate{ObjectMeta: meta.ObjectMeta{Namespace: "testns", Name: "test"}}},
		"should not back off from reissuing when cert is not failing": {cert: certFor("example.com", nil, nil), next: nextCR()},
		"should back off from reissuing for 1 minute if there was 1 failed issuance 59 minutes ago": {
			cert: certFor("example.com", ago(59*time.Minute), n(1)), next: nextCR(), wantBackoff: true, wantDelay: time.Minute},
		"should back off from reissuing for 1 hour if there was 1 failed issuance 0 minutes ago": {
			cert: certFor("example.com", ago(0), n(1)), next: nextCR(), wantBackoff: true, wantDelay: time.Hour},
		"should not back off from reissuing if there was 1 failed issuance 61 minutes ago": {
			cert: certFor("example.com", ago(61*time.Minute), n(1)), next: nextCR()},
		"should back off from reissuing for 2 hours if there were 2 failed issuances, last one 0 minutes ago": {
			cert: certFor("example.com", ago(0), n(2)), next: nextCR(), wantBackoff: true, wantDelay: 2 * time.Hour},
		"should not back off from reissuing if there were 2 failed issuances, last one 2h1min ago": {
			cert: certFor("example.com", ago(121*time.Minute), n(2)), next: nextCR()},
		"should back off from reissuing for 4 hours if there were 3 failed issuances, last one 0 minutes ago": {
			cert: certFor("example.com", ago(0), n(3)), next: nextCR(), wantBackoff: true, wantDelay: 4 * time.Hour},
		"should not back off from reissuing if there were 3 failed issuances, last one 4h5min ago": {
			cert: certFor("example.com", ago(245*time.Minute), n(3)), next: nextCR()},
		"should back off from reissuing for 8 hours if there were 4 failed issuances, last one 0 minutes ago": {
			cert: certFor("example.com", ago(0), n(4)), next: nextCR(), wantBackoff: true, wantDelay: 8 * time.Hour},
		"should not back off from reissuing if there were 4 failed issuances, last one 10h ago": {
			cert: certFor("example.com", ago(10*time.Hour), n(4)), next: nextCR()},
		"should back off from reissuing for 16 hours if there were 5 failed issuances, last one 0 minutes ago": {
			cert: certFor("example.com", ago(0), n(5)), next: nextCR(), wantBackoff: true, wantDelay: 16 * time.Hour},
		"should not back off from reissuing if there were 5 failed issuances, last one 17h1min ago": {
			cert: certFor("example.com", ago(1021*time.Minute), n(5)), next: nextCR()},
		"should back off from reissuing for 32 hours if there were  6 failed issuances, last one 0 minutes ago": {
			cert: certFor("example.com", ago(0), n(6)), next: nextCR(), wantBackoff: true, wantDelay: 32 * time.Hour},
		"should not back off from reissuing if there were  6 failed issuances, last one 32h ago": {
			cert: certFor("example.com", ago(32*time.Hour), n(6)), next: nextCR()},
		"should back off from reissuing for 32 hours if there were 100 failed issuances (overflow capped at max), last one 0 minutes ago": {
			cert: certFor("example.com", ago(0), n(100)), next: nextCR(), wantBackoff: true, wantDelay: 32 * time.Hour},
		"should not back off from reissuing if there were 100 failed issuances, last one 32h ago": {
			cert: certFor("example.com", ago(32*time.Hour), n(100)), next: nextCR()},
		"should back off from reissuing for 1 hour if there was a failed issuance, 0 minutes ago and issuance attempts is not set": {
			cert: certFor("example.com", ago(0), nil), next: nextCR(), wantBackoff: true, wantDelay: time.Hour},
		"should back off from reissuing for 1 minute if there was a failed issuance 59 minutes ago and issuance attempts is not set": {
			cert: certFor("example.com", ago(59*time.Minute), nil), next: nextCR(), wantBackoff: true, wantDelay: time.Minute},
		"should not back off from reissuing if there was a failed issuance 1 hour ago and issuance attempts is not set": {
			cert: certFor("example.com", ago(time.Hour), nil), next: nextCR()},
		"should back off for initialDelay when FailedIssuanceAttempts=0 (manual patch edge case)": {
			cert: certFor("example.com", ago(0), n(0)), next: nextCR(), wantBackoff: true, wantDelay: time.Hour},
		"should not back off from reissuing when the failure happened 0 minutes ago and cert and next CR are mismatched": {
			cert: certFor("example-was-changed-by-user.com", ago(0), n(1)), next: nextCR()},
		"should not back off from reissuing when the failure happened 1 minutes ago and cert and next CR are mismatched": {
			cert: certFor("example-was-updated-by-user.com", ago(time.Minute), n(1)), next: nextCR()},
		"should not back off from reissuing if 1 issuance failed 16 minutes ago and custom back off is 15 minutes": {
			cert: certFor("example.com", ago(16*time.Minute), n(1)), next: nextCR(), minDelay: 15 * time.Minute},
		"should cap at 4h when maxBackoff=4h and failedIssuanceAttempts=6 (computed delay would be 32h)": {
			cert: certFor("example.com", ago(0), n(6)), next: nextCR(), maxDl: 4 * time.Hour, wantBackoff: true, wantDelay: 4 * time.Hour},
		"should use 1h when maxBackoff=4h and failedIssuanceAttempts=1 (computed delay=1h, below cap)": {
			cert: certFor("example.com", ago(0), n(1)), next: nextCR(), maxDl: 4 * time.Hour, wantBackoff: true, wantDelay: time.Hour},
		"should cap at 1h when min=1h max=1h (constant backoff, failedIssuanceAttempts=6)": {
			cert: certFor("example.com", ago(0), n(6)), next: nextCR(), minDelay: time.Hour, maxDl: time.Hour, wantBackoff: true, wantDelay: time.Hour},
		"should cap at max backoff for overflow giant attempt counts (delay overflows to negative, capped at max)": {
			cert: certFor("example.com", ago(0), n(100)), next: nextCR(), maxDl: 4 * time.Hour, wantBackoff: true, wantDelay: 4 * time.Hour},
	}
	for name, tt := range rows {
		t.Run(name, func(t *testing.T) {
			minDelay, maxDelay := tt.minDelay, tt.maxDl
			if minDelay == 0 {
				minDelay = time.Hour
			}
			if maxDelay == 0 {
				maxDelay = 32 * time.Hour
			}
			backoff, delay := shouldBackoff(tt.cert, tt.next, now, minDelay, maxDelay)
			assert.Equal(t, tt.wantBackoff, backoff)
			assert.Equal(t, tt.wantDelay, delay)
		})
	}
}

// TestDefaultBackoff_IsCertManagers: with no options the reconciler waits
// 1h·2^(n−1) after the n-th failure, capped at 32h (it used to start at 1m).
func TestDefaultBackoff_IsCertManagers(t *testing.T) {
	r := NewReconciler(depsForTest(t).deps, Options{})
	assert.Equal(t, time.Hour, r.opts.BackoffMin)
	assert.Equal(t, 32*time.Hour, r.opts.BackoffMax)
	want := []time.Duration{time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 16 * time.Hour, 32 * time.Hour, 32 * time.Hour}
	for i, w := range want {
		assert.Equal(t, w, Backoff(i+1, r.opts.BackoffMin, r.opts.BackoffMax), "attempt %d", i+1)
	}
}
