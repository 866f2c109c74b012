package order_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
)

// countOrderUpdates returns deps whose Store counts the Updates of Orders.
func countOrderUpdates(e *env) (*order.Reconciler, func() int) {
	var mu sync.Mutex
	updates := 0
	counted := storecount.New(e.st, storecount.WithObserver(func(op storecount.Op, ref meta.Ref) {
		if op == storecount.Update && ref.Kind == meta.KindOrder {
			mu.Lock()
			updates++
			mu.Unlock()
		}
	}))
	deps := e.deps
	deps.Store = counted
	opts := order.Options{Clients: staticClients{e.cl}, RetryAfter: e.rec.RetryAfter, PollInterval: 20 * time.Millisecond}
	return order.NewReconciler(deps, opts), func() int {
		mu.Lock()
		defer mu.Unlock()
		return updates
	}
}

// The visit that opens an order writes it twice: newOrder's outcome (its
// URL, before anything else), then the authorizations it read together
// with the Challenges that follow from them. Reading the authorizations is
// not a write of its own.
func TestAuthorizationsAreStoredWithTheChallengesTheyMake(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 60*time.Second)
	e := newEnv(ctx, t, envConfig{})
	orders, updates := countOrderUpdates(e)
	ref := e.newOrder(ctx, "a.example.test")

	_, err := orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	o := e.getOrder(ctx, ref)
	require.Len(t, o.Status.Authorizations, 1)
	assert.Equal(t, order.StatePending, o.Status.Authorizations[0].InitialState, "the authorization is stored")
	assert.Len(t, e.challenges(ctx, ref), 1)
	assert.Equal(t, 2, updates(), "newOrder's outcome, then the authorizations with the Challenge")

	o = e.drive(ctx, ref, orders, e.chals)
	require.Equal(t, order.StateValid, o.Status.State, o.Status.Reason)
}

// Authorizations read in a visit that ends with a step instead of a
// decision to write (every authorization valid already: the finalize comes
// next, in the next visit) are stored before the visit ends, so the next
// visit finalizes without reading them again.
func TestAuthorizationsReadBeforeAStepAreStoredWhenTheVisitEnds(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 60*time.Second)
	e := newEnv(ctx, t, envConfig{acmeOpts: []acmetest.Option{acmetest.WithAuthzReusePercent(100)}})
	first := e.newOrder(ctx, "a.example.test")
	require.Equal(t, order.StateValid, e.drive(ctx, first, e.orders, e.chals).Status.State)

	orders, updates := countOrderUpdates(e)
	ref := e.newOrder(ctx, "a.example.test")
	_, err := orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	o := e.getOrder(ctx, ref)
	require.Len(t, o.Status.Authorizations, 1)
	assert.Equal(t, order.StateValid, o.Status.Authorizations[0].InitialState, "reused, and stored")
	assert.False(t, o.Status.Finalizing, "the finalize is the next visit's")
	assert.Empty(t, e.challenges(ctx, ref))
	assert.Equal(t, 2, updates(), "newOrder's outcome, then the authorizations")

	o = e.drive(ctx, ref, orders, e.chals)
	require.Equal(t, order.StateValid, o.Status.State, o.Status.Reason)
}

// Authorizations whose answer came just before the reconcile was cancelled
// (a shutdown) are stored all the same, as every answer of the CA is: the
// next visit does not read them again.
func TestAuthorizationsAnsweredAsTheVisitIsCancelledAreStored(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 60*time.Second)
	e := newEnv(ctx, t, envConfig{})
	ref := e.newOrder(ctx, "a.example.test")
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Cancelled once the first authorization's answer has been read.
	e.cl.HTTPClient.Transport = cancelAfter{base: e.cl.HTTPClient.Transport, path: "/authZ/", cancel: cancel}

	_, err := e.orders.Reconcile(rctx, ref)
	require.NoError(t, err, "the answer is stored, so nothing failed")
	require.Error(t, rctx.Err(), "cancelled during the visit")
	o := e.getOrder(ctx, ref)
	require.NotEmpty(t, o.Status.URL, "newOrder's outcome is stored")
	require.Len(t, o.Status.Authorizations, 1)
	assert.Equal(t, order.StatePending, o.Status.Authorizations[0].InitialState, "the authorization read is stored")
}

// cancelAfter is a transport that calls cancel once the body of a response
// to a request whose path starts with path has been read and closed.
type cancelAfter struct {
	base   http.RoundTripper
	path   string
	cancel context.CancelFunc
}

func (c cancelAfter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(req)
	if err == nil && strings.HasPrefix(req.URL.Path, c.path) {
		resp.Body = cancelOnClose{ReadCloser: resp.Body, cancel: c.cancel}
	}
	return resp, err
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
