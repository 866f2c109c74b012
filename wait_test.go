package certflow

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/store/memory"
)

// denyWhile is an approver that denies while deny is set.
func denyWhile(deny *atomic.Bool) request.Approver {
	return request.ApproverFunc(func(context.Context, *request.CertificateRequest) (request.Decision, error) {
		if deny.Load() {
			return request.Decision{Reason: "policy says no"}, nil
		}
		return request.Decision{Approved: true, Reason: "policy says yes"}, nil
	})
}

func TestWaitReady_ReturnsTheFailureAndWhatFailed(t *testing.T) {
	var deny atomic.Bool
	deny.Store(true)
	h := startManager(t, func(c *Config) { c.Approver = denyWhile(&deny); c.BackoffMin = time.Hour })
	h.setupCA("default", "ca")
	crt := testrig.Certificate("default", "web", "ca", "web.example.test")
	require.NoError(t, h.m.Apply(h.ctx, crt))

	err := h.m.WaitReady(h.ctx, meta.RefOf(crt))
	var fe *FailedError
	require.True(t, errors.As(err, &fe), "%v", err)
	assert.ErrorIs(t, err, ErrIssuanceFailed)
	assert.NotErrorIs(t, err, ErrNeverReady)
	assert.Equal(t, meta.RefOf(crt), fe.Certificate)
	assert.Equal(t, meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "default", Name: "web-1"}, fe.Resource,
		"the denied request explains the failure")
	assert.Equal(t, request.ReasonDenied, fe.Reason)
	assert.Contains(t, fe.Message, "policy says no")
	assert.Equal(t, 1, fe.Attempts)
	assert.Equal(t, h.clock.Now().Add(time.Hour), fe.NextAttempt)
	assert.Contains(t, err.Error(), "CertificateRequest/default/web-1")
}

func TestWaitReady_WaitsThroughFailuresWhenAsked(t *testing.T) {
	var deny atomic.Bool
	deny.Store(true)
	h := startManager(t, func(c *Config) { c.Approver = denyWhile(&deny); c.BackoffMin = time.Hour })
	h.setupCA("default", "ca")
	crt := testrig.Certificate("default", "web", "ca", "web.example.test")
	require.NoError(t, h.m.Apply(h.ctx, crt))
	done := make(chan error, 1)
	go func() { done <- h.m.WaitReady(h.ctx, meta.RefOf(crt), WaitThroughFailures()) }()

	waitFor(h, meta.RefOf(crt), "the first attempt failed", func(c *certificate.Certificate) bool {
		return c.Status.FailedIssuanceAttempts != nil
	})
	select {
	case err := <-done:
		t.Fatalf("WaitReady returned on a failure: %v", err)
	default:
	}
	deny.Store(false)
	h.clock.Advance(time.Hour) // the backoff ends: the next attempt is approved
	require.NoError(t, <-done)
}

func TestWaitReady_AnInvalidSpecNeverBecomesReady(t *testing.T) {
	h := startManager(t, nil)
	crt := testrig.Certificate("default", "bad", "ca") // no names: Apply refuses it, a tool may store it
	require.NoError(t, h.store.Create(h.ctx, crt))
	err := h.m.WaitReady(h.ctx, meta.RefOf(crt))
	assert.ErrorIs(t, err, ErrNeverReady)
	var fe *FailedError
	require.True(t, errors.As(err, &fe))
	assert.Equal(t, meta.RefOf(crt), fe.Resource)
	assert.Equal(t, certificate.ReasonInvalid, fe.Reason)
	assert.True(t, fe.NextAttempt.IsZero())
}

// Without a running Manager nothing moves a Certificate on: WaitReady says
// so instead of waiting for ever, but answers what it can tell at once.
func TestWaitReady_WithoutRunFailsFast(t *testing.T) {
	t.Parallel() // waits out RunGrace on the wall clock, using no CPU
	h := startManager(t, nil)
	h.setupCA("default", "ca")
	ready := testrig.Certificate("default", "ready", "ca", "ready.example.test")
	require.NoError(t, h.m.Apply(h.ctx, ready))
	waitFor(h, meta.RefOf(ready), "Ready", testrig.CertReady)

	tool, err := New(Config{Store: h.store, Clock: h.clock})
	require.NoError(t, err)
	require.NoError(t, tool.WaitReady(h.ctx, meta.RefOf(ready)), "Ready needs no Run to be seen")

	pending := testrig.CertRef("default", "never-applied")
	start := time.Now()
	err = tool.WaitReady(h.ctx, pending)
	assert.ErrorIs(t, err, ErrNotRunning)
	assert.Less(t, time.Since(start), RunGrace+5*time.Second)
}

// `go m.Run(ctx); m.WaitReady(…)` works however the goroutines are
// scheduled; a Run that stops under a waiter ends the wait.
func TestWaitReady_FollowsRunStartingAndStopping(t *testing.T) {
	t.Parallel() // waits out RunGrace on the wall clock, using no CPU
	ctx := testrig.Context(t)
	st := memory.New()
	m, err := New(Config{Store: st})
	require.NoError(t, err)
	crt := testrig.Certificate("default", "web", "ca", "web.example.test")
	require.NoError(t, m.Apply(ctx, crt)) // its issuer never comes: it stays pending

	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan error, 1)
	waited := make(chan error, 1)
	go func() { waited <- m.WaitReady(ctx, meta.RefOf(crt)) }()
	go func() { ran <- m.Run(runCtx) }()
	select {
	case err := <-waited:
		t.Fatalf("WaitReady returned while Run was starting: %v", err)
	case <-time.After(RunGrace + time.Second):
	}
	stop()
	require.ErrorIs(t, <-ran, context.Canceled)
	assert.ErrorIs(t, <-waited, ErrNotRunning)
}

// Renew returns the revision it asked for, and waiting for it returns once
// that revision is issued: a new certificate in the Secret.
func TestRenew_WaitForTheRenewalReturnsOnceItIsIssued(t *testing.T) {
	h := startManager(t, nil)
	h.setupCA("default", "ca")
	crt := testrig.Certificate("default", "web", "ca", "web.example.test")
	require.NoError(t, h.m.Apply(h.ctx, crt))
	ref := meta.RefOf(crt)
	require.NoError(t, h.m.WaitReady(h.ctx, ref))
	first, _ := testrig.ReadSecret(t, h.ctx, h.store, "default", "web-tls")

	r, err := h.m.Renew(h.ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, Renewal{Certificate: ref, Revision: 2}, r)
	require.NoError(t, h.m.WaitReady(h.ctx, ref, ForRenewal(r)))

	c := &certificate.Certificate{}
	require.NoError(t, h.m.Get(h.ctx, ref, c))
	require.NotNil(t, c.Status.Revision)
	assert.Equal(t, 2, *c.Status.Revision)
	second, _ := testrig.ReadSecret(t, h.ctx, h.store, "default", "web-tls")
	assert.NotEqual(t, first.SerialNumber, second.SerialNumber, "the renewal is in the Secret when the wait returns")
	h.waitUntil("the renewal request is logged as an event", func() bool {
		evs, err := h.m.Events(h.ctx, ref)
		require.NoError(t, err)
		for _, e := range evs {
			if e.Reason == certificate.ReasonManuallyTrigger {
				return true
			}
		}
		return false
	})
}

// A renewal of a certificate still valid fails while the certificate stays
// Ready with its older revision: the wait for the renewal reports it.
func TestRenew_AFailedRenewalIsReported(t *testing.T) {
	var deny atomic.Bool
	h := startManager(t, func(c *Config) { c.Approver = denyWhile(&deny) })
	h.setupCA("default", "ca")
	crt := testrig.Certificate("default", "web", "ca", "web.example.test")
	require.NoError(t, h.m.Apply(h.ctx, crt))
	ref := meta.RefOf(crt)
	require.NoError(t, h.m.WaitReady(h.ctx, ref))

	deny.Store(true)
	r, err := h.m.Renew(h.ctx, ref)
	require.NoError(t, err)
	err = h.m.WaitReady(h.ctx, ref, ForRenewal(r))
	var fe *FailedError
	require.True(t, errors.As(err, &fe), "%v", err)
	assert.Equal(t, meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "default", Name: "web-2"}, fe.Resource)
	assert.Equal(t, request.ReasonDenied, fe.Reason)
	require.NoError(t, h.m.WaitReady(h.ctx, ref), "the certificate itself is still Ready")
}
