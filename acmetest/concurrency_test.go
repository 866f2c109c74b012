package acmetest_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/acmetest"
)

// TestConcurrentClientsDoNotDeadlock issues certificates from 32 concurrent
// x/crypto/acme clients. Unprotected, Pebble v2.10.3 deadlocks under this
// load (authz poll + new-order + certificate being stored); the deadline
// turns a hang into a failure. It bounds a hang, not the speed: the 300
// issuances took a minute under the race detector at load 30, against the
// former deadline of two minutes.
func TestConcurrentClientsDoNotDeadlock(t *testing.T) {
	t.Parallel()
	const clients = 32
	total := 300
	if testing.Short() {
		total = 64
	}
	ctx := hangCtx(t)
	s := acmetest.NewServer(t, acmetest.WithAlwaysValid())

	jobs := make(chan int, total)
	for i := range total {
		jobs <- i
	}
	close(jobs)

	accounts := make([]*acme.Client, clients)
	for i := range accounts {
		accounts[i] = registeredClient(ctx, t, s)
	}

	start := time.Now()
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		issued int
		errs   []error
	)
	for _, cl := range accounts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				name := fmt.Sprintf("c%d.example.test", i)
				leaf, _, err := issue(ctx, cl, []string{name}, anyChallenge)
				mu.Lock()
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", name, err))
				} else if len(leaf.DNSNames) == 1 && leaf.DNSNames[0] == name {
					issued++
				}
				mu.Unlock()
				if ctx.Err() != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	require.Empty(t, errs)
	assert.Equal(t, total, issued)
	assert.Equal(t, total, s.OrderCount())
	t.Logf("%d certificates from %d clients in %v (%.1f certs/s)", issued, clients, elapsed.Round(time.Millisecond), float64(issued)/elapsed.Seconds())
}
