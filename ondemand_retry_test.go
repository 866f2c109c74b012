package certflow

import (
	"context"
	"crypto/tls"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// A name refused for a reason likely to hold a moment later (the rate
// limit, a Certificate of that object name not made on demand) is
// answered from memory for onDemandRetryAfter: handshakes retrying at once
// do not ask the policy (an AskURL) each time; afterwards it is asked again.
func TestOnDemand_TransientFailuresRememberedBriefly(t *testing.T) {
	tmpl := onDemandTemplate()
	tmpl.Spec.IssuerRef.Name = "ca"
	var asked atomic.Int32
	allow := allowSuffix(".retry.test")
	h := startManager(t, func(c *Config) {
		c.OnDemand = &OnDemandConfig{Template: tmpl, RateLimit: 1e-9, Burst: 1,
			Allow: func(ctx context.Context, name string) error { asked.Add(1); return allow(ctx, name) }}
	})
	h.setupCA("default", "ca")
	// The Certificate "ondemand.taken.retry.test" exists, for another name.
	taken := testrig.Certificate("default", "ondemand.taken.retry.test", "ca", "other.retry.test")
	require.NoError(t, h.m.Apply(h.ctx, taken))
	require.NoError(t, h.m.WaitReady(h.ctx, meta.RefOf(taken)))

	_, err := h.m.GetCertificate(&tls.ClientHelloInfo{ServerName: "first.retry.test"})
	require.NoError(t, err, "the burst's one token")
	for _, c := range []struct {
		name string
		want error
	}{{"limited.retry.test", ErrOnDemandRateLimited}, {"taken.retry.test", errNotOnDemand}} {
		hello := &tls.ClientHelloInfo{ServerName: c.name}
		before := asked.Load()
		_, err := h.m.GetCertificate(hello)
		require.ErrorIs(t, err, c.want, c.name)
		_, err = h.m.GetCertificate(hello)
		assert.ErrorIs(t, err, c.want, c.name)
		assert.Equal(t, before+1, asked.Load(), "%s: the second handshake is answered from memory", c.name)
	}
	h.clock.Advance(onDemandRetryAfter)
	before := asked.Load()
	_, err = h.m.GetCertificate(&tls.ClientHelloInfo{ServerName: "limited.retry.test"})
	assert.ErrorIs(t, err, ErrOnDemandRateLimited)
	assert.Equal(t, before+1, asked.Load(), "asked again after onDemandRetryAfter")
	assert.Less(t, onDemandRetryAfter, time.Minute, "shorter than the default DenyTTL")
}

// A handshake that checked the Manager was running just before Run ended
// joins no flight once on-demand issuance has stopped: none is left
// pending with no decider to end it.
func TestOnDemand_NoFlightAfterStop(t *testing.T) {
	m, err := New(Config{Store: memory.New(), OnDemand: &OnDemandConfig{
		Allow: allowSuffix(".stop.test"), Template: onDemandTemplate()}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m.onDemand.run(ctx) // returns once its goroutines have
	_, err = m.onDemand.join("late.stop.test")
	assert.ErrorIs(t, err, ErrNotRunning)
	assert.Zero(t, m.onDemand.pending())
}

// An on-demand Certificate that expires idle keeps Manager.Delete's
// hygiene: with AnnotationRevokeOnDelete in the template, its certificate
// is revoked at the CA.
func TestOnDemand_IdleExpiryRevokesWhenAnnotated(t *testing.T) {
	tmpl := onDemandTemplate()
	tmpl.ObjectMeta.Annotations = map[string]string{AnnotationRevokeOnDelete: "true"}
	h := startOnDemandACME(t, OnDemandConfig{Allow: allowSuffix(".ondemand.test"), Template: tmpl,
		IdleTimeout: time.Hour}, nil)
	_, err := h.m.GetCertificate(&tls.ClientHelloInfo{ServerName: "gone.ondemand.test"})
	require.NoError(t, err)
	leaf, _ := testrig.ReadSecret(t, h.ctx, h.st, "default", "ondemand.gone.ondemand.test-tls")

	// A sweep that read the Certificate before the Manager's last update
	// of it deletes nothing (conflict): the next change brings another.
	ref := meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: "ondemand.gone.ondemand.test"}
	h.awaitStore("the idle Certificate deleted", func() bool {
		require.NoError(t, h.m.onDemand.sweepIdleOnce(h.ctx, time.Now().Add(2*time.Hour)))
		return errors.Is(h.st.Get(h.ctx, ref, &certificate.Certificate{}), store.ErrNotFound)
	})
	rev, revoked := h.acme.Revocation(leaf)
	require.True(t, revoked, "the expired Certificate's certificate was revoked")
	assert.Equal(t, int(RevocationCessationOfOperation), rev.Reason)
}
