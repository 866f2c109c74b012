package acmetest_test

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/acmetest"
)

// racedAuthorizations is how many authorizations TestAuthorizationRaces
// races at once.
const racedAuthorizations = 48

// TestAuthorizationRaces sends, for many authorizations at the same
// moment, an accept of every challenge and, for a third of them, a
// deactivation too: exactly one accept per authorization that was not
// deactivated first goes to Pebble, the others are refused, every
// deactivation is answered, and the server still issues afterwards. Two
// sibling accepts both let through would end, once the valid
// authorization is displayed, with the second one's validation blocked on
// a leaked read lock, holding the authorization's write lock that every
// new order waits for; an accept between a deactivation's wait and its
// turn would do the same. (With the lock classes and the guard outside a
// lock of the authorization, 1 to 3 of the 48 had two accepts let
// through, in each of 5 runs.) A hang fails the deadline.
func TestAuthorizationRaces(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 90*time.Second)
	s := acmetest.NewServer(t, acmetest.WithAlwaysValid())
	cl := registeredClient(ctx, t, s)

	type raced struct {
		authz      *acme.Authorization
		deactivate bool
		accepted   []error
		deactErr   error
	}
	all := make([]*raced, racedAuthorizations)
	for i := range all {
		order, err := cl.AuthorizeOrder(ctx, acme.DomainIDs(fmt.Sprintf("race%d.example.test", i)))
		require.NoError(t, err)
		authz, err := cl.GetAuthorization(ctx, order.AuthzURLs[0])
		require.NoError(t, err)
		all[i] = &raced{authz: authz, deactivate: i%3 == 0}
	}

	start := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, r := range all {
		for _, c := range r.authz.Challenges {
			if c.Type != "http-01" && c.Type != "dns-01" && c.Type != "tls-alpn-01" {
				continue
			}
			wg.Go(func() {
				<-start
				_, err := cl.Accept(ctx, c)
				mu.Lock()
				r.accepted = append(r.accepted, err)
				mu.Unlock()
			})
		}
		if r.deactivate {
			wg.Go(func() {
				<-start
				err := cl.RevokeAuthorization(ctx, r.authz.URI)
				mu.Lock()
				r.deactErr = err
				mu.Unlock()
			})
		}
	}
	close(start)
	wg.Wait()
	require.NoError(t, ctx.Err(), "the racing requests hung")

	for _, r := range all {
		require.GreaterOrEqual(t, len(r.accepted), 3, r.authz.URI)
		won := 0
		for _, err := range r.accepted {
			if err == nil {
				won++
				continue
			}
			var ae *acme.Error
			if assert.ErrorAs(t, err, &ae, r.authz.URI) {
				assert.Equal(t, "urn:ietf:params:acme:error:malformed", ae.ProblemType, r.authz.URI)
			}
		}
		if r.deactivate {
			assert.NoError(t, r.deactErr, r.authz.URI)
			assert.LessOrEqual(t, won, 1, "accepts let through for %s", r.authz.URI)
		} else {
			assert.Equal(t, 1, won, "accepts let through for %s", r.authz.URI)
		}
		// Display every authorization once it is final: the displays that
		// leak read locks on the hidden challenges.
		_, err := poll(ctx, func() (*acme.Authorization, error) { return cl.GetAuthorization(ctx, r.authz.URI) },
			func(a *acme.Authorization) bool { return a.Status != acme.StatusPending })
		require.NoError(t, err, "authorization %s", r.authz.URI)
	}
	_, _, err := issue(ctx, cl, []string{"after-the-race.example.test"}, anyChallenge)
	require.NoError(t, err, "the server still issues")
}

// stalledHTTP01 accepts the validation authority's HTTP-01 connections and
// answers none (404) until unblocked, so that a challenge stays
// "processing". (The VA's requests' contexts end at once: only unblock
// ends the wait.)
type stalledHTTP01 struct {
	arrived     chan struct{} // closed at the first request
	arrivedOnce sync.Once
	release     chan struct{}
	releaseOnce sync.Once
}

func (h *stalledHTTP01) unblock() { h.releaseOnce.Do(func() { close(h.release) }) }

func (h *stalledHTTP01) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.arrivedOnce.Do(func() { close(h.arrived) })
	<-h.release
	http.NotFound(w, r)
}

func startStalledHTTP01(t *testing.T) (*stalledHTTP01, int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	h := &stalledHTTP01{arrived: make(chan struct{}), release: make(chan struct{})}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() { h.unblock(); _ = srv.Close(); <-done })
	return h, ln.Addr().(*net.TCPAddr).Port
}

// deactivationGrace is how long TestDeactivationWaitsForValidation gives
// a deactivation to be answered too early.
const deactivationGrace = 300 * time.Millisecond

// TestDeactivationWaitsForValidation: deactivating an authorization whose
// challenge is being validated waits until the validation authority has
// decided, then deactivates. Passed on at once, Pebble v2.10.3 would
// display the deactivated authorization, leak the read lock of the
// challenge it hides, and its validation would then block for ever
// holding the authorization's write lock, and with it every new order.
func TestDeactivationWaitsForValidation(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 60*time.Second)
	responder, port := startStalledHTTP01(t)
	s := acmetest.NewServer(t, acmetest.WithHTTP01Port(port))
	cl := registeredClient(ctx, t, s)

	order, err := cl.AuthorizeOrder(ctx, acme.DomainIDs("deactivated.example.test"))
	require.NoError(t, err)
	authz, err := cl.GetAuthorization(ctx, order.AuthzURLs[0])
	require.NoError(t, err)
	var http01 *acme.Challenge
	for _, c := range authz.Challenges {
		if c.Type == "http-01" {
			http01 = c
		}
	}
	require.NotNil(t, http01)
	_, err = cl.Accept(ctx, http01)
	require.NoError(t, err)
	select {
	case <-responder.arrived:
	case <-ctx.Done():
		t.Fatal("the validation authority never came")
	}

	deactivated := make(chan error, 1)
	go func() { deactivated <- cl.RevokeAuthorization(ctx, authz.URI) }()
	// While it waits, the server serves the rest.
	_, err = cl.GetOrder(ctx, order.URI)
	require.NoError(t, err)
	// Nothing tells when a deactivation would have been answered: give
	// it deactivationGrace, far more than Pebble takes to answer one.
	select {
	case err := <-deactivated:
		t.Fatalf("the deactivation was answered (%v) while the challenge was still validating", err)
	case <-time.After(deactivationGrace):
	}
	responder.unblock()
	require.NoError(t, <-deactivated)

	// The validation ends (the responder answered 404): a validation
	// stuck on a leaked lock would hold the authorization's write lock
	// and leave the challenge processing, and reading it would hang.
	chal, err := poll(ctx, func() (*acme.Challenge, error) { return cl.GetChallenge(ctx, http01.URI) },
		func(c *acme.Challenge) bool { return c.Status != acme.StatusProcessing })
	require.NoError(t, err, "the validation never ended")
	assert.Equal(t, acme.StatusInvalid, chal.Status)
	got, err := cl.GetAuthorization(ctx, authz.URI)
	require.NoError(t, err)
	assert.Equal(t, acme.StatusDeactivated, got.Status)
	// A new order reads every authorization's lock.
	_, err = cl.AuthorizeOrder(ctx, acme.DomainIDs("next.example.test"))
	require.NoError(t, err, "the server still takes orders")
}
