package acmetest_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/acmetest"
)

// TestAcceptWaitsForItsAuthorizationsLock: an accept of a challenge waits
// while another request holds its authorization's lock, and goes on once
// it is given back. The serial slot alone keeps sibling accepts apart,
// but not an accept from coming between a deactivation's wait for the
// validation and its turn in Pebble; TestAuthorizationRaces hits that
// window too rarely to notice an accept that skips the lock.
func TestAcceptWaitsForItsAuthorizationsLock(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	s := acmetest.NewServer(t, acmetest.WithAlwaysValid())
	cl := registeredClient(ctx, t, s)
	order, err := cl.AuthorizeOrder(ctx, acme.DomainIDs("locked.example.test"))
	require.NoError(t, err)
	authz, err := cl.GetAuthorization(ctx, order.AuthzURLs[0])
	require.NoError(t, err)
	require.NotEmpty(t, authz.Challenges)

	unlock, err := acmetest.LockAuthz(ctx, s, authz.URI)
	require.NoError(t, err)
	accepted := make(chan error, 1)
	go func() {
		_, err := cl.Accept(ctx, authz.Challenges[0])
		accepted <- err
	}()
	// The accept is counted as it starts to wait: see it there.
	require.Eventually(t, func() bool { return acmetest.AuthzLockWanted(s, authz.URI) == 2 },
		10*time.Second, time.Millisecond, "the accept did not wait for its authorization's lock")
	select {
	case err := <-accepted:
		t.Fatalf("the accept was answered (%v) while its authorization's lock was held", err)
	default:
	}
	unlock()
	require.NoError(t, <-accepted)
	assert.Zero(t, acmetest.AuthzLockWanted(s, authz.URI), "the lock is dropped once nobody wants it")
}
