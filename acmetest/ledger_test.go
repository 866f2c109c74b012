package acmetest_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/acmetest"
)

func TestLedgerRecordsNewOrdersOrdersAndValidations(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	s := acmetest.NewServer(t, acmetest.WithAlwaysValid(),
		acmetest.WithDomainBlocklist("refused.example.test"),
		acmetest.WithFaults(acmetest.ServerInternal(acmetest.EndpointNewOrder, 2)))
	cl := registeredClient(ctx, t, s)
	cl.RetryBackoff = func(int, *http.Request, *http.Response) time.Duration { return 0 }

	_, _, err := issue(ctx, cl, []string{"b.example.test", "a.example.test"}, anyChallenge)
	require.NoError(t, err)
	_, err = cl.AuthorizeOrder(ctx, acme.DomainIDs("five.example.test"))
	require.Error(t, err, "the injected 500")
	_, err = cl.AuthorizeOrder(ctx, acme.DomainIDs("refused.example.test"))
	require.Error(t, err, "blocklisted")

	recs := s.NewOrders()
	require.Len(t, recs, 3)
	assert.Equal(t, []string{"b.example.test", "a.example.test"}, recs[0].Identifiers)
	assert.Equal(t, http.StatusCreated, recs[0].Status)
	assert.NotEmpty(t, recs[0].OrderID)
	assert.Equal(t, acmetest.NewOrderRecord{Identifiers: []string{"five.example.test"}, Status: http.StatusInternalServerError}, recs[1])
	assert.Equal(t, []string{"refused.example.test"}, recs[2].Identifiers)
	assert.Equal(t, http.StatusBadRequest, recs[2].Status)
	assert.Empty(t, recs[2].OrderID)

	require.NoError(t, s.AwaitValidations(ctx))
	orders := s.Orders(ctx)
	require.Len(t, orders, 1)
	o := orders[0]
	assert.Equal(t, recs[0].OrderID, o.ID)
	assert.Equal(t, "valid", o.Status)
	assert.ElementsMatch(t, []string{"a.example.test", "b.example.test"}, o.Identifiers)
	require.Len(t, o.Authorizations, 2)
	for _, a := range o.Authorizations {
		assert.Equal(t, "valid", a.Status)
		assert.False(t, a.Validating)
	}
	require.NotNil(t, o.Certificate)
	assert.ElementsMatch(t, []string{"a.example.test", "b.example.test"}, o.Certificate.DNSNames)
}
