package serve

import (
	"context"
	"crypto/x509"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/solver"
)

// TestConcurrentReadersAndWriters runs handshake lookups and token lookups
// against writers that keep replacing and deleting Secrets and challenges.
// Under -race it proves readers need no lock; it also checks every answer is
// a certificate that covers the name asked for.
func TestConcurrentReadersAndWriters(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ca := newTestCA(t)
	const names = 4
	versions := make([][]*secret.Secret, names)
	for i := range versions {
		for v := 0; v < 3; v++ {
			versions[i] = append(versions[i], ca.secretFor(t, "ns", fmt.Sprint("s", i),
				leaf{dns: []string{fmt.Sprintf("n%d.example", i), fmt.Sprintf("*.w%d.example", i)}}))
		}
	}
	c := NewCache(Options{})
	for i := range versions {
		require.NoError(t, c.PutSecret(versions[i][0]))
	}

	const rounds = 200
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	report := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds && ctx.Err() == nil; r++ {
				i := (r + w) % names
				if r%5 == 4 {
					c.DeleteSecret(secretRef("ns", fmt.Sprint("s", i)))
				}
				if err := c.PutSecret(versions[i][r%3]); err != nil {
					report(err)
				}
				ch := newChallenge(fmt.Sprint("ch", w), solver.HTTP01, "n0.example", testToken+".k")
				if err := c.PutChallenge(ch); err != nil {
					report(err)
				}
				c.DeleteChallenge(challengeRef(fmt.Sprint("ch", w)))
			}
		}()
	}
	for rd := 0; rd < 4; rd++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds*20 && ctx.Err() == nil; r++ {
				i := (r + rd) % names
				name := fmt.Sprintf("n%d.example", i)
				if r%2 == 1 {
					name = fmt.Sprintf("x.w%d.example", i)
				}
				cert, err := c.GetCertificate(hello(name))
				if err != nil {
					continue // the Secret is briefly deleted by a writer
				}
				leaf, err := x509.ParseCertificate(cert.Certificate[0]) // not leafOf: require must not run off the test's goroutine
				if err != nil {
					report(fmt.Errorf("%s: served leaf does not parse: %w", name, err))
					continue
				}
				if err := leaf.VerifyHostname(name); err != nil {
					report(fmt.Errorf("%s served a certificate for %v: %w", name, leaf.DNSNames, err))
				}
				if ka, _, ok := c.KeyAuthorization(testToken); ok && ka != testToken+".k" {
					report(fmt.Errorf("token served %q", ka))
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	require.NoError(t, ctx.Err(), "the test ran out of time")
	// Every writer finished with a put, so every name is served again.
	for i := 0; i < names; i++ {
		_, err := c.GetCertificate(hello(fmt.Sprintf("n%d.example", i)))
		assert.NoError(t, err)
	}
	_, _, ok := c.KeyAuthorization(testToken)
	assert.False(t, ok, "every challenge was deleted")
}
