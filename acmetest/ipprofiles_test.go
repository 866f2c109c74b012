package acmetest_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/acmetest"
)

// WithIPProfiles: an order holding an IP address is refused with
// rejectedIdentifier unless it names an allowed profile; orders of DNS
// names only are never refused.
func TestIPProfiles(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	s := acmetest.NewServer(t, acmetest.WithAlwaysValid(), acmetest.WithIPProfiles("shortlived"),
		acmetest.WithProfile("classic", acmetest.Profile{}),
		acmetest.WithProfile("shortlived", acmetest.Profile{ValidityPeriod: 160 * time.Hour}))
	cl := registeredClient(ctx, t, s)

	for _, profile := range []acme.ProfileName{"", "classic"} {
		var opts []acme.OrderOption
		if profile != "" {
			opts = append(opts, acme.WithOrderIssuanceProfile(profile))
		}
		_, err := cl.AuthorizeOrder(ctx, append(acme.DomainIDs("ip.example.test"), acme.IPIDs("127.0.0.1")...), opts...)
		var ae *acme.Error
		require.True(t, errors.As(err, &ae), "profile %q: %v", profile, err)
		assert.Equal(t, "urn:ietf:params:acme:error:rejectedIdentifier", ae.ProblemType)
		assert.Equal(t, http.StatusBadRequest, ae.StatusCode)
		assert.Contains(t, ae.Detail, "127.0.0.1")
	}
	_, err := cl.AuthorizeOrder(ctx, acme.DomainIDs("name.example.test"), acme.WithOrderIssuanceProfile("classic"))
	require.NoError(t, err, "DNS names only: allowed in any profile")

	order, err := cl.AuthorizeOrder(ctx, acme.IPIDs("127.0.0.1"), acme.WithOrderIssuanceProfile("shortlived"))
	require.NoError(t, err)
	leaf, _, err := finishOrder(ctx, t, cl, order)
	require.NoError(t, err)
	require.Len(t, leaf.IPAddresses, 1)
	assert.Equal(t, "127.0.0.1", leaf.IPAddresses[0].String())

	recs := s.NewOrders()
	require.Len(t, recs, 4)
	assert.Equal(t, []int{400, 400, 201, 201}, []int{recs[0].Status, recs[1].Status, recs[2].Status, recs[3].Status})
	assert.Equal(t, 2, s.OrderCount(), "refused orders never reach Pebble")
}
