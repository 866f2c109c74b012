package acmetest_test

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/acmetest"
)

func poolOf(t *testing.T, pemBytes []byte) *x509.CertPool {
	t.Helper()
	blk, _ := pem.Decode(pemBytes)
	require.NotNil(t, blk)
	c, err := x509.ParseCertificate(blk.Bytes)
	require.NoError(t, err)
	p := x509.NewCertPool()
	p.AddCert(c)
	return p
}

// chainsTo reports whether the PEM-less DER chain verifies up to roots.
func chainsTo(t *testing.T, chain [][]byte, roots *x509.CertPool) bool {
	t.Helper()
	leaf, err := x509.ParseCertificate(chain[0])
	require.NoError(t, err)
	inter := x509.NewCertPool()
	for _, d := range chain[1:] {
		c, err := x509.ParseCertificate(d)
		require.NoError(t, err)
		inter.AddCert(c)
	}
	_, err = leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
	return err == nil
}

func TestAlternateRootsGiveAlternateChains(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	s := acmetest.NewServer(t, acmetest.WithAlwaysValid(), acmetest.WithAlternateRoots(1), acmetest.WithChainLength(2))
	cl := registeredClient(ctx, t, s)
	_, certURL, err := issue(ctx, cl, []string{"alt.example.test"}, anyChallenge)
	require.NoError(t, err)

	alts, err := cl.ListCertAlternates(ctx, certURL)
	require.NoError(t, err)
	require.Len(t, alts, 1)

	main, err := cl.FetchCert(ctx, certURL, true)
	require.NoError(t, err)
	alt, err := cl.FetchCert(ctx, alts[0], true)
	require.NoError(t, err)
	assert.Len(t, main, 3, "leaf + chain length 2")
	assert.Equal(t, main[0], alt[0], "same leaf")

	root0, root1 := poolOf(t, s.RootPEM(0)), poolOf(t, s.RootPEM(1))
	assert.True(t, chainsTo(t, main, root0))
	assert.False(t, chainsTo(t, main, root1))
	assert.True(t, chainsTo(t, alt, root1))
	assert.False(t, chainsTo(t, alt, root0))
	assert.True(t, chainsTo(t, alt, s.Roots()), "Roots holds every hierarchy")
}

func TestEABRequired(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	mac := []byte("0123456789abcdef0123456789abcdef")
	s := acmetest.NewServer(t, acmetest.WithEAB(map[string]string{"kid-1": base64.RawURLEncoding.EncodeToString(mac)}))

	cl := newClient(t, s)
	dir, err := cl.Discover(ctx)
	require.NoError(t, err)
	assert.True(t, dir.ExternalAccountRequired)

	_, err = cl.Register(ctx, &acme.Account{}, acme.AcceptTOS)
	var ae *acme.Error
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "urn:ietf:params:acme:error:externalAccountRequired", ae.ProblemType)

	_, err = cl.Register(ctx, &acme.Account{ExternalAccountBinding: &acme.ExternalAccountBinding{KID: "kid-1", Key: []byte("wrong key, wrong key, wrong key!")}}, acme.AcceptTOS)
	require.Error(t, err)

	_, err = cl.Register(ctx, &acme.Account{ExternalAccountBinding: &acme.ExternalAccountBinding{KID: "kid-1", Key: mac}}, acme.AcceptTOS)
	require.NoError(t, err)
}

func TestValidityAndProfiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    []acmetest.Option
		profile acme.ProfileName
		want    time.Duration
	}{
		{"default 90 days", nil, "", 90 * 24 * time.Hour},
		{"certificate validity", []acmetest.Option{acmetest.WithCertificateValidity(2 * time.Hour)}, "", 2 * time.Hour},
		{"named profile", []acmetest.Option{
			acmetest.WithProfile("short", acmetest.Profile{Description: "short", ValidityPeriod: time.Hour}),
		}, "short", time.Hour},
		{"profile without validity uses certificate validity", []acmetest.Option{
			acmetest.WithCertificateValidity(3 * time.Hour),
			acmetest.WithProfile("plain", acmetest.Profile{}),
		}, "plain", 3 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t, 30*time.Second)
			s := acmetest.NewServer(t, append(tt.opts, acmetest.WithAlwaysValid())...)
			cl := registeredClient(ctx, t, s)
			var opts []acme.OrderOption
			if tt.profile != "" {
				opts = append(opts, acme.WithOrderIssuanceProfile(tt.profile))
			}
			order, err := cl.AuthorizeOrder(ctx, acme.DomainIDs("profile.example.test"), opts...)
			require.NoError(t, err)
			leaf, _, err := finishOrder(ctx, t, cl, order)
			require.NoError(t, err)
			// Pebble's NotAfter is NotBefore + validity - 1s.
			assert.Equal(t, tt.want-time.Second, leaf.NotAfter.Sub(leaf.NotBefore))
		})
	}
}

func TestInvalidOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opt  acmetest.Option
	}{
		{"nonce reject > 100", acmetest.WithNonceRejectPercent(101)},
		{"authz reuse < 0", acmetest.WithAuthzReusePercent(-1)},
		{"orders per page 0", acmetest.WithOrdersPerPage(0)},
		{"chain length 0", acmetest.WithChainLength(0)},
		{"alternate roots < 0", acmetest.WithAlternateRoots(-1)},
		{"key algorithm", acmetest.WithKeyAlgorithm("dsa")},
		{"validity < 1s", acmetest.WithCertificateValidity(time.Millisecond)},
		{"profile without name", acmetest.WithProfile("", acmetest.Profile{})},
		{"EAB key not base64url", acmetest.WithEAB(map[string]string{"kid": "not base64!"})},
		{"HTTP-01 port", acmetest.WithHTTP01Port(70000)},
		{"TLS-ALPN-01 port", acmetest.WithTLSALPN01Port(-1)},
		{"resolver", acmetest.WithResolver("no-port")},
		{"validation sleep", acmetest.WithValidationSleep(time.Millisecond)},
		{"retry-after", acmetest.WithRetryAfter(-time.Second, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := acmetest.Start(tt.opt)
			require.ErrorIs(t, err, acmetest.ErrInvalidOption)
			assert.Nil(t, s)
		})
	}
}

func TestEABErrorDoesNotLeakKey(t *testing.T) {
	t.Parallel()
	_, err := acmetest.Start(acmetest.WithEAB(map[string]string{"kid": "secret*value"}))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret*value")
	assert.True(t, errors.Is(err, acmetest.ErrInvalidOption))
}

// TestFinalizeAnswersAfterIssuance: by default the finalize answer waits for
// the certificate, so x/crypto/acme's first order poll finds it valid and
// never sleeps its one-second default.
func TestFinalizeAnswersAfterIssuance(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	s := acmetest.NewServer(t, acmetest.WithAlwaysValid())
	cl := registeredClient(ctx, t, s)
	for i := range 5 {
		name := "sync" + string(rune('a'+i)) + ".example.test"
		order, err := cl.AuthorizeOrder(ctx, acme.DomainIDs(name))
		require.NoError(t, err)
		_, err = finishAuthz(ctx, cl, order)
		require.NoError(t, err)
		csr, err := newCSR([]string{name})
		require.NoError(t, err)
		before := s.Requests(acmetest.EndpointOrder)
		_, _, err = cl.CreateCertFromOrder(ctx, order, csr, true)
		require.NoError(t, err)
		assert.Equal(t, 1, s.Requests(acmetest.EndpointOrder)-before, "one poll after finalize")
	}
}

func TestAsyncFinalizeStillIssues(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	s := acmetest.NewServer(t, acmetest.WithAlwaysValid(), acmetest.WithAsyncFinalize())
	cl := registeredClient(ctx, t, s)
	leaf, _, err := issue(ctx, cl, []string{"async.example.test"}, anyChallenge)
	require.NoError(t, err)
	assert.Equal(t, []string{"async.example.test"}, leaf.DNSNames)
}
