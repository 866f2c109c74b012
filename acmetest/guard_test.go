package acmetest_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/acmetest"
)

// TestSecondChallengeIsRefusedNotHung: accepting another challenge of an
// authorization that is no longer pending makes Pebble v2.10.3 block forever
// on a leaked read lock; acmetest refuses it instead, and keeps serving.
func TestSecondChallengeIsRefusedNotHung(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	s := acmetest.NewServer(t, acmetest.WithAlwaysValid())
	cl := registeredClient(ctx, t, s)

	order, err := cl.AuthorizeOrder(ctx, acme.DomainIDs("twice.example.test"))
	require.NoError(t, err)
	authz, err := cl.GetAuthorization(ctx, order.AuthzURLs[0])
	require.NoError(t, err)
	var first, second *acme.Challenge
	for _, c := range authz.Challenges {
		switch c.Type {
		case "http-01":
			first = c
		case "dns-01":
			second = c
		}
	}
	require.NotNil(t, first)
	require.NotNil(t, second)

	_, err = cl.Accept(ctx, first)
	require.NoError(t, err)
	_, err = poll(ctx, func() (*acme.Authorization, error) { return cl.GetAuthorization(ctx, authz.URI) },
		func(a *acme.Authorization) bool { return a.Status == acme.StatusValid })
	require.NoError(t, err)
	// That display leaked read locks on the other challenges.
	_, err = cl.GetAuthorization(ctx, authz.URI)
	require.NoError(t, err)

	_, err = cl.Accept(ctx, second)
	var ae *acme.Error
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 400, ae.StatusCode)
	assert.Equal(t, "urn:ietf:params:acme:error:malformed", ae.ProblemType)

	_, _, err = finishOrder(ctx, t, cl, order)
	require.NoError(t, err, "the server still works")
}

func TestSiblingChallengeRefusedWhileOneProcesses(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	_, port := startHTTP01(t) // 404 for every token: validation takes a round trip
	s := acmetest.NewServer(t, acmetest.WithHTTP01Port(port))
	cl := registeredClient(ctx, t, s)

	order, err := cl.AuthorizeOrder(ctx, acme.DomainIDs("sibling.example.test"))
	require.NoError(t, err)
	authz, err := cl.GetAuthorization(ctx, order.AuthzURLs[0])
	require.NoError(t, err)
	var accepted int
	for _, c := range authz.Challenges {
		if c.Type != "http-01" && c.Type != "dns-01" {
			continue
		}
		if _, err := cl.Accept(ctx, c); err == nil {
			accepted++
		}
	}
	assert.Equal(t, 1, accepted, "only the first challenge is accepted")
	got, err := poll(ctx, func() (*acme.Authorization, error) { return cl.GetAuthorization(ctx, authz.URI) },
		func(a *acme.Authorization) bool { return a.Status != acme.StatusPending })
	require.NoError(t, err)
	assert.Equal(t, acme.StatusInvalid, got.Status)
}
