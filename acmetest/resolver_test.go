package acmetest_test

import (
	"bytes"
	"fmt"
	"log"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/acmetest"
)

// TestWithResolverUsesTheExternalDNS: the VA of one server resolves through
// another server's DNS, so only records published there count.
func TestWithResolverUsesTheExternalDNS(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	external := acmetest.NewServer(t)
	s := acmetest.NewServer(t, acmetest.WithResolver(external.DNSAddr()))
	cl := registeredClient(ctx, t, s)

	publishOn := func(target *acmetest.Server) presentFunc {
		return func(cl *acme.Client, a *acme.Authorization, c *acme.Challenge) bool {
			if c.Type != "dns-01" {
				return false
			}
			v, err := cl.DNS01ChallengeRecord(c.Token)
			require.NoError(t, err)
			target.SetTXT("_acme-challenge."+a.Identifier.Value, v)
			return true
		}
	}
	_, _, err := issue(ctx, cl, []string{"local.example.test"}, publishOn(s))
	require.Error(t, err, "the in-process DNS of s is not asked")

	leaf, _, err := issue(ctx, cl, []string{"external.example.test"}, publishOn(external))
	require.NoError(t, err)
	assert.Equal(t, []string{"external.example.test"}, leaf.DNSNames)
}

// TestCreateOrderCertFailsAgainstPebble keeps the package doc honest about
// the x/crypto/acme quirk.
func TestCreateOrderCertFailsAgainstPebble(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	s := acmetest.NewServer(t, acmetest.WithAlwaysValid())
	cl := registeredClient(ctx, t, s)
	order, err := cl.AuthorizeOrder(ctx, acme.DomainIDs("quirk.example.test"))
	require.NoError(t, err)
	order, err = finishAuthz(ctx, cl, order)
	require.NoError(t, err)
	csr, err := newCSR([]string{"quirk.example.test"})
	require.NoError(t, err)
	_, _, err = cl.CreateOrderCert(ctx, order.FinalizeURL, csr, true)
	require.Error(t, err)
}

func TestWithLoggerReceivesPebbleLog(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	acmetest.NewServer(t, acmetest.WithLogger(log.New(&buf, "", 0)), acmetest.WithNonceRejectPercent(7))
	assert.Contains(t, buf.String(), "Configured to reject 7% of good nonces")
}

// recordingTB captures Logf and Cleanup of a real testing.TB.
type recordingTB struct {
	testing.TB
	mu       sync.Mutex
	lines    []string
	cleanups []func()
}

func (r *recordingTB) Logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
}

func (r *recordingTB) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }

func TestWithTestLogGoesToLogf(t *testing.T) {
	t.Parallel()
	rec := &recordingTB{TB: t}
	acmetest.NewServer(rec, acmetest.WithTestLog(), acmetest.WithAuthzReusePercent(3))
	rec.mu.Lock()
	joined := strings.Join(rec.lines, "\n")
	rec.mu.Unlock()
	assert.Contains(t, joined, "authz reuse for each identifier 3%")
	for _, f := range rec.cleanups {
		f()
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
