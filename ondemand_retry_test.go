package certflow

import (
	"context"
	"crypto/tls"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
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
