package acmetest_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/acmetest"
)

// stressRoundTimeout bounds one round of TestStressRounds: a round takes
// a few seconds under the race detector on a loaded 2-core machine, so a
// deadlock fails it within this instead of hanging.
const stressRoundTimeout = 60 * time.Second

// stressShape is one subtest of TestStressRounds.
type stressShape struct {
	name                      string
	rounds, perRound, clients int
	// alwaysValid skips validation: the densest traffic into Pebble,
	// where its deadlocks show (with requests let into Pebble freely, 4
	// runs of 4 hung, in rounds 0 to 6; with 4 rounds, 1 of 4). Else each
	// order has one name validated by HTTP-01 and one by DNS-01, for real.
	alwaysValid bool
}

// TestStressRounds issues, round after round on one server (whose store
// keeps growing, so that new orders hold the store's read lock longer),
// certificates from several concurrent clients; every other round with
// faults injected into new orders, authorizations, order polls, challenges
// and finalizes. Every round must finish within stressRoundTimeout and
// issue every certificate: a front that let Pebble v2.10.3's handlers in
// together carelessly would deadlock.
func TestStressRounds(t *testing.T) {
	t.Parallel()
	shapes := []stressShape{
		{name: "always-valid", rounds: 8, perRound: 160, clients: 32, alwaysValid: true},
		{name: "http01+dns01", rounds: 4, perRound: 32, clients: 6},
	}
	for _, shape := range shapes {
		if testing.Short() {
			shape.rounds, shape.perRound = 2, shape.perRound/4
		}
		t.Run(shape.name, func(t *testing.T) {
			t.Parallel()
			stressRounds(t, shape)
		})
	}
}

func stressRounds(t *testing.T, shape stressShape) {
	responder, port := startHTTP01(t)
	opts := []acmetest.Option{acmetest.WithHTTP01Port(port)}
	if shape.alwaysValid {
		opts = append(opts, acmetest.WithAlwaysValid())
	}
	s := acmetest.NewServer(t, opts...)
	setup := testCtx(t, stressRoundTimeout)
	accounts := make([]*acme.Client, shape.clients)
	for i := range accounts {
		accounts[i] = registeredClient(setup, t, s)
		accounts[i].RetryBackoff = patientBackoff
	}
	present := func(cl *acme.Client, authz *acme.Authorization, c *acme.Challenge) bool {
		name := authz.Identifier.Value
		switch {
		case shape.alwaysValid:
			return c.Type == "http-01"
		case strings.HasPrefix(name, "h") && c.Type == "http-01":
			ka, err := cl.HTTP01ChallengeResponse(c.Token)
			require.NoError(t, err)
			responder.mu.Lock()
			responder.keys[cl.HTTP01ChallengePath(c.Token)] = ka
			responder.mu.Unlock()
			return true
		case strings.HasPrefix(name, "d") && c.Type == "dns-01":
			rec, err := cl.DNS01ChallengeRecord(c.Token)
			require.NoError(t, err)
			s.SetTXT("_acme-challenge."+name, rec)
			return true
		}
		return false
	}
	namesOf := func(round, i int) []string {
		if shape.alwaysValid {
			return []string{fmt.Sprintf("v%d-%d.example.test", round, i)}
		}
		return []string{fmt.Sprintf("h%d-%d.example.test", round, i), fmt.Sprintf("d%d-%d.example.test", round, i)}
	}

	for round := range shape.rounds {
		faulted := round%2 == 1
		if faulted {
			injectStressFaults(t, s, shape.perRound)
		}
		ctx, cancel := context.WithTimeout(context.Background(), stressRoundTimeout)
		jobs := make(chan int, shape.perRound)
		for i := range shape.perRound {
			jobs <- i
		}
		close(jobs)
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			issued int
			errs   []error
		)
		for _, cl := range accounts {
			wg.Go(func() {
				for i := range jobs {
					names := namesOf(round, i)
					leaf, _, err := issue(ctx, cl, names, present)
					mu.Lock()
					if err != nil {
						errs = append(errs, fmt.Errorf("%v: %w", names, err))
					} else if assert.ElementsMatch(t, names, leaf.DNSNames) {
						issued++
					}
					mu.Unlock()
					if ctx.Err() != nil {
						return
					}
				}
			})
		}
		wg.Wait()
		require.NoError(t, ctx.Err(), "round %d (faults: %v) did not finish within %v: Pebble hung, or a request kept failing (errors so far: %v)", round, faulted, stressRoundTimeout, errs)
		cancel()
		require.Empty(t, errs, "round %d (faults: %v)", round, faulted)
		require.Equal(t, shape.perRound, issued, "round %d", round)
	}
}

// patientBackoff is fastBackoff without its limit of five retries: with
// one request in five to an endpoint faulted and 32 clients interleaving,
// a client's retries can land on the next faulted number again and again
// (one CI run saw six in a row), and giving up then is the test's budget
// failing, not the server. The round's deadline bounds the retries.
func patientBackoff(_ int, req *http.Request, res *http.Response) time.Duration {
	return fastBackoff(1, req, res)
}

// injectStressFaults adds faults that a conforming client rides out:
// badNonce and 5xx are retried by x/crypto/acme, a delay only slows. They
// hit about one request in five of the next round's to each endpoint.
func injectStressFaults(t *testing.T, s *acmetest.Server, perRound int) {
	t.Helper()
	add := func(e acmetest.Endpoint, every int, f func(nth int) acmetest.Fault) {
		from := s.Requests(e) + 1
		for k := range perRound / every {
			require.NoError(t, s.InjectFault(f(from+k*every)))
		}
	}
	add(acmetest.EndpointNewOrder, 5, func(n int) acmetest.Fault { return acmetest.BadNonce(acmetest.EndpointNewOrder, n) })
	add(acmetest.EndpointAuthz, 5, func(n int) acmetest.Fault { return acmetest.ServerInternal(acmetest.EndpointAuthz, n) })
	add(acmetest.EndpointOrder, 5, func(n int) acmetest.Fault {
		return acmetest.RateLimited(acmetest.EndpointOrder, n, 0)
	})
	add(acmetest.EndpointChallenge, 5, func(n int) acmetest.Fault {
		return acmetest.Delay(acmetest.EndpointChallenge, n, 20*time.Millisecond)
	})
	add(acmetest.EndpointFinalize, 5, func(n int) acmetest.Fault { return acmetest.BadNonce(acmetest.EndpointFinalize, n) })
}
