package certflow

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/internal/testrig"
)

// A Certificate that keeps its key (rotationPolicy Never) keeps it through
// an ordinary revocation, but gets a new one after keyCompromise.
func TestRevokeKeyCompromiseReplacesAKeptKey(t *testing.T) {
	h := startACME(t, acmeSetup{})
	ref := h.issueACME("kept", func(c *certificate.Certificate) {
		c.Spec.PrivateKey = &certificate.PrivateKey{RotationPolicy: certificate.RotationNever}
	})
	first, _ := testrig.ReadSecret(t, h.ctx, h.st, "default", "kept-tls")

	r, err := h.m.Revoke(h.ctx, ref, RevocationSuperseded)
	require.NoError(t, err)
	require.NoError(t, h.m.WaitReady(h.ctx, ref, ForRenewal(r)))
	second, _ := testrig.ReadSecret(t, h.ctx, h.st, "default", "kept-tls")
	require.NotEqual(t, first.SerialNumber, second.SerialNumber)
	assert.True(t, pki.PublicKeysEqual(first.PublicKey, second.PublicKey), "superseded: rotationPolicy Never keeps the key")

	r, err = h.m.Revoke(h.ctx, ref, RevocationKeyCompromise)
	require.NoError(t, err)
	require.NoError(t, h.m.WaitReady(h.ctx, ref, ForRenewal(r)))
	third, _ := testrig.ReadSecret(t, h.ctx, h.st, "default", "kept-tls")
	assert.False(t, pki.PublicKeysEqual(second.PublicKey, third.PublicKey), "keyCompromise: the compromised key is not reused")
	_, revoked := h.acme.Revocation(third)
	assert.False(t, revoked)
}
