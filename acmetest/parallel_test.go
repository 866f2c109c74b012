package acmetest_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/acmetest"
)

// TestParallelServersKeepTheirOwnKnobs builds servers whose knobs live in
// process-wide environment variables concurrently and checks that each one
// behaves by its own.
func TestParallelServersKeepTheirOwnKnobs(t *testing.T) {
	t.Parallel()
	t.Run("nonce reject 100", func(t *testing.T) {
		t.Parallel()
		ctx := testCtx(t, 30*time.Second)
		s := acmetest.NewServer(t, acmetest.WithNonceRejectPercent(100), acmetest.WithAlwaysValid())
		_, err := newClient(t, s).Register(ctx, &acme.Account{}, acme.AcceptTOS)
		var ae *acme.Error
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, "urn:ietf:params:acme:error:badNonce", ae.ProblemType)
	})
	t.Run("always valid and authz reuse 100", func(t *testing.T) {
		t.Parallel()
		ctx := testCtx(t, 30*time.Second)
		s := acmetest.NewServer(t, acmetest.WithAlwaysValid(), acmetest.WithAuthzReusePercent(100))
		cl := registeredClient(ctx, t, s)
		_, _, err := issue(ctx, cl, []string{"reuse.example.test"}, anyChallenge)
		require.NoError(t, err, "always valid: nothing serves the challenge")
		order, err := cl.AuthorizeOrder(ctx, acme.DomainIDs("reuse.example.test"))
		require.NoError(t, err)
		authz, err := cl.GetAuthorization(ctx, order.AuthzURLs[0])
		require.NoError(t, err)
		assert.Equal(t, acme.StatusValid, authz.Status, "the valid authorization is reused")
	})
	t.Run("real validation and defaults", func(t *testing.T) {
		t.Parallel()
		ctx := testCtx(t, 30*time.Second)
		s := acmetest.NewServer(t) // no HTTP-01 port: validation must fail
		cl := registeredClient(ctx, t, s)
		_, _, err := issue(ctx, cl, []string{"real.example.test"}, anyChallenge)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "invalid")
	})
	t.Run("alternate roots 2", func(t *testing.T) {
		t.Parallel()
		s := acmetest.NewServer(t, acmetest.WithAlternateRoots(2), acmetest.WithNonceRejectPercent(0))
		assert.Equal(t, 3, s.NumRoots())
		ctx := testCtx(t, 30*time.Second)
		registeredClient(ctx, t, s) // nonce reject 0: registers first time
		assert.Equal(t, 1, s.Requests(acmetest.EndpointNewAccount))
	})
}
