package acmetest_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/acmetest"
)

// testCtx returns a context bounded by d, cancelled when t ends.
func testCtx(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// hangCtx is the context of a test whose deadline bounds a hang, not its
// speed: five minutes, or half a minute before the test binary's own
// deadline (go test -timeout) if that comes sooner, so that a hang fails
// with the test's message rather than the binary's panic.
func hangCtx(t *testing.T) context.Context {
	t.Helper()
	d := 5 * time.Minute
	if end, ok := t.Deadline(); ok {
		left := time.Until(end)
		d = min(d, max(left-30*time.Second, left/2))
	}
	return testCtx(t, d)
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return k
}

// fastBackoff keeps x/crypto/acme's retries (badNonce, 5xx) short in tests,
// honouring Retry-After when the server sends one.
func fastBackoff(n int, _ *http.Request, res *http.Response) time.Duration {
	if n > 5 {
		return 0
	}
	if v := res.Header.Get("Retry-After"); v != "" && v != "0" {
		if d, err := time.ParseDuration(v + "s"); err == nil {
			return d
		}
	}
	return 10 * time.Millisecond
}

// newClient returns an x/crypto/acme client for s with a fresh account key,
// not yet registered.
func newClient(t testing.TB, s *acmetest.Server) *acme.Client {
	t.Helper()
	return &acme.Client{
		Key:          newKey(t),
		DirectoryURL: s.DirectoryURL(),
		HTTPClient:   s.Client(),
		RetryBackoff: fastBackoff,
		UserAgent:    "acmetest-test",
	}
}

// registeredClient returns a client with a registered account.
func registeredClient(ctx context.Context, t testing.TB, s *acmetest.Server) *acme.Client {
	t.Helper()
	cl := newClient(t, s)
	_, err := cl.Register(ctx, &acme.Account{}, acme.AcceptTOS)
	require.NoError(t, err)
	return cl
}

// poll calls get every 5 ms until done reports true, get fails or ctx ends:
// an ACME client learns of an authorization's or order's state only by
// asking (RFC 8555 §7.5.1), and Pebble's validation tells nobody else.
func poll[T any](ctx context.Context, get func() (T, error), done func(T) bool) (T, error) {
	for {
		v, err := get()
		if err != nil || done(v) {
			return v, err
		}
		select {
		case <-ctx.Done():
			return v, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// presentFunc makes chal answerable (serve HTTP-01, publish TXT, …) and
// returns false if it does not handle that challenge type.
type presentFunc func(cl *acme.Client, authz *acme.Authorization, chal *acme.Challenge) bool

// issue runs a whole order for names: for every pending authorization it
// accepts the first challenge present handles, waits for validity, then
// finalizes and returns the leaf and the certificate URL.
func issue(ctx context.Context, cl *acme.Client, names []string, present presentFunc) (*x509.Certificate, string, error) {
	order, err := cl.AuthorizeOrder(ctx, acme.DomainIDs(names...))
	if err != nil {
		return nil, "", err
	}
	return finishOrderWith(ctx, cl, order, present)
}

// finishOrder completes an order on an always-valid server.
func finishOrder(ctx context.Context, t testing.TB, cl *acme.Client, order *acme.Order) (*x509.Certificate, string, error) {
	t.Helper()
	return finishOrderWith(ctx, cl, order, anyChallenge)
}

// finishOrderWith validates every pending authorization of order, finalizes
// it and returns the leaf and the certificate URL.
func finishOrderWith(ctx context.Context, cl *acme.Client, order *acme.Order, present presentFunc) (*x509.Certificate, string, error) {
	names := make([]string, 0, len(order.Identifiers))
	for _, id := range order.Identifiers {
		names = append(names, id.Value)
	}
	order, err := finishAuthzWith(ctx, cl, order, present)
	if err != nil {
		return nil, "", err
	}
	csr, err := newCSR(names)
	if err != nil {
		return nil, "", err
	}
	der, certURL, err := cl.CreateCertFromOrder(ctx, order, csr, true)
	if err != nil {
		return nil, "", err
	}
	leaf, err := x509.ParseCertificate(der[0])
	return leaf, certURL, err
}

func newCSR(names []string) ([]byte, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	// IP addresses (RFC 8738) go in the IP SANs, and never in the CN.
	tmpl := &x509.CertificateRequest{}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	if len(tmpl.DNSNames) > 0 {
		tmpl.Subject = pkix.Name{CommonName: tmpl.DNSNames[0]}
	}
	return x509.CreateCertificateRequest(rand.Reader, tmpl, crypto.Signer(k))
}

// anyChallenge presents nothing; for always-valid servers.
func anyChallenge(_ *acme.Client, _ *acme.Authorization, c *acme.Challenge) bool {
	return c.Type == "http-01"
}

// finishAuthz validates every pending authorization of order on an
// always-valid server and returns the order once it is ready.
func finishAuthz(ctx context.Context, cl *acme.Client, order *acme.Order) (*acme.Order, error) {
	return finishAuthzWith(ctx, cl, order, anyChallenge)
}

// finishAuthzWith accepts, for every pending authorization of order, the
// first challenge present handles, waits until it is valid, and returns the
// order once it is no longer pending.
func finishAuthzWith(ctx context.Context, cl *acme.Client, order *acme.Order, present presentFunc) (*acme.Order, error) {
	for _, u := range order.AuthzURLs {
		authz, err := cl.GetAuthorization(ctx, u)
		if err != nil {
			return nil, err
		}
		if authz.Status == acme.StatusValid {
			continue
		}
		var chosen *acme.Challenge
		for _, c := range authz.Challenges {
			if present(cl, authz, c) {
				chosen = c
				break
			}
		}
		if chosen == nil {
			return nil, errors.New("no challenge presented")
		}
		if _, err := cl.Accept(ctx, chosen); err != nil {
			return nil, err
		}
		authz, err = poll(ctx, func() (*acme.Authorization, error) { return cl.GetAuthorization(ctx, u) },
			func(a *acme.Authorization) bool { return a.Status != acme.StatusPending })
		if err != nil {
			return nil, err
		}
		if authz.Status != acme.StatusValid {
			return nil, errors.New("authorization " + authz.Status)
		}
	}
	return poll(ctx, func() (*acme.Order, error) { return cl.GetOrder(ctx, order.URI) },
		func(o *acme.Order) bool { return o.Status != acme.StatusPending })
}
