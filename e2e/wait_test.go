package e2e

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
)

// WaitReady returns as soon as the CA refused the issuance, naming what
// failed in the CA's words, instead of waiting for a deadline.
func TestACME_WaitReadyReturnsTheCAsVerdict(t *testing.T) {
	h := startACME(t, acmeSetup{httpWrap: testrig.LieToTheCA})
	require.NoError(t, h.m.Apply(h.ctx, h.acme.Issuer("default", "acme")))
	crt := testrig.ACMECertificate("default", "refused", "acme", "refused.example.test")
	require.NoError(t, h.m.Apply(h.ctx, crt))

	err := h.m.WaitReady(h.ctx, meta.RefOf(crt))
	require.ErrorIs(t, err, certflow.ErrIssuanceFailed)
	var fe *certflow.FailedError
	require.True(t, errors.As(err, &fe))
	// The Order and the Challenge each hear the verdict by their own poll:
	// whichever recorded it first explains the failure.
	assert.Contains(t, []meta.Kind{meta.KindChallenge, meta.KindOrder}, fe.Resource.Kind, "%v", err)
	assert.Contains(t, fe.Message, "urn:ietf:params:acme:error:unauthorized")
	assert.Equal(t, 1, fe.Attempts)
	assert.False(t, fe.NextAttempt.IsZero())
}
