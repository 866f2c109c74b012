package rfc2136

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/bindtest"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/solver/dns01"
)

// Tests against a real BIND; run them with `go test -run RFC2136 ./solver/...`.

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func startBIND(t testing.TB, opts bindtest.Options) *bindtest.Server {
	if len(opts.Zones) == 0 {
		opts.Zones = []bindtest.Zone{
			{Name: "example.test", Records: []string{"_acme-challenge.alias IN CNAME alias.delegated.test."}},
			{Name: "delegated.test"},
		}
	}
	return bindtest.Start(t, opts)
}

func newSolver(t testing.TB, srv *bindtest.Server, mod func(*Config)) *Solver {
	cfg := Config{Nameserver: srv.Addr, TSIGKeyName: srv.KeyName, TSIGSecret: Secret(srv.Secret)}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	require.NoError(t, err)
	return s
}

func challenge(identifier string, wildcard bool, keyAuth string) solver.Challenge {
	return solver.Challenge{Type: solver.DNS01, Identifier: identifier, Wildcard: wildcard, KeyAuthorization: keyAuth}
}

func randomSecret(t testing.TB) string {
	b := make([]byte, 32)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(b)
}

func TestRFC2136_PresentCleanUp_WildcardAndApexCoexist(t *testing.T) {
	for _, proto := range []string{"udp", "tcp"} {
		t.Run(proto, func(t *testing.T) {
			srv := startBIND(t, bindtest.Options{})
			s := newSolver(t, srv, func(c *Config) { c.Protocol = proto })
			ctx := testCtx(t)
			apex := challenge("host.example.test", false, "token-apex.thumb")
			wild := challenge("host.example.test", true, "token-wild.thumb")
			name := apex.DNS01Name()

			require.NoError(t, s.Present(ctx, apex))
			require.NoError(t, s.Present(ctx, wild))
			require.NoError(t, s.Present(ctx, apex), "presenting again is harmless")
			assert.ElementsMatch(t, []string{apex.DNS01Value(), wild.DNS01Value()}, srv.TXT(t, name))

			require.NoError(t, s.CleanUp(ctx, apex))
			assert.Equal(t, []string{wild.DNS01Value()}, srv.TXT(t, name), "the sibling value survives")
			require.NoError(t, s.CleanUp(ctx, apex), "cleaning up an absent value is fine")
			require.NoError(t, s.CleanUp(ctx, wild))
			assert.Empty(t, srv.TXT(t, name))
		})
	}
}

func TestRFC2136_WrongSecret_BadSignatureAndNothingWritten(t *testing.T) {
	srv := startBIND(t, bindtest.Options{})
	wrong := randomSecret(t)
	s := newSolver(t, srv, func(c *Config) { c.TSIGSecret = Secret(wrong) })
	ch := challenge("host.example.test", false, "tok.thumb")

	err := s.Present(testCtx(t), ch)
	require.ErrorIs(t, err, ErrBadSignature)
	var ue *UpdateError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, uint16(16), ue.TSIGError)
	assert.Equal(t, "example.test.", ue.Zone)
	assert.NotContains(t, err.Error(), wrong)
	assert.NotContains(t, err.Error(), srv.Secret)
	assert.Empty(t, srv.TXT(t, ch.DNS01Name()), "nothing written")
	t.Log(err)
}

func TestRFC2136_UnknownKey_BadKeyAndNothingWritten(t *testing.T) {
	srv := startBIND(t, bindtest.Options{})
	s := newSolver(t, srv, func(c *Config) { c.TSIGKeyName = "other-key" })
	ch := challenge("host.example.test", false, "tok.thumb")

	err := s.Present(testCtx(t), ch)
	require.ErrorIs(t, err, ErrBadKey)
	var ue *UpdateError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, uint16(17), ue.TSIGError)
	assert.NotContains(t, err.Error(), srv.Secret)
	assert.Empty(t, srv.TXT(t, ch.DNS01Name()), "nothing written")
}

func TestRFC2136_ZoneNotServed_NotAuth(t *testing.T) {
	srv := startBIND(t, bindtest.Options{})
	ctx := testCtx(t)
	ch := challenge("host.notserved.test", false, "tok.thumb")

	s := newSolver(t, srv, func(c *Config) { c.Zone = "notserved.test" })
	err := s.Present(ctx, ch)
	require.ErrorIs(t, err, ErrNotAuth)
	var ue *UpdateError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, uint16(0), ue.TSIGError)

	// Without a configured zone, the SOA walk at the server finds none.
	err = newSolver(t, srv, nil).Present(ctx, ch)
	require.ErrorIs(t, err, dns01.ErrNoZone)
}

func TestRFC2136_NameOutsideConfiguredZone_NotZone(t *testing.T) {
	srv := startBIND(t, bindtest.Options{})
	s := newSolver(t, srv, func(c *Config) { c.Zone = "delegated.test" })
	ch := challenge("host.example.test", false, "tok.thumb")
	require.ErrorIs(t, s.Present(testCtx(t), ch), ErrNotZone)
	assert.Empty(t, srv.TXT(t, ch.DNS01Name()))
}

func TestRFC2136_Unsigned_Refused(t *testing.T) {
	srv := startBIND(t, bindtest.Options{})
	s, err := New(Config{Nameserver: srv.Addr})
	require.NoError(t, err)
	ch := challenge("host.example.test", false, "tok.thumb")
	require.ErrorIs(t, s.Present(testCtx(t), ch), ErrRefused)
	assert.Empty(t, srv.TXT(t, ch.DNS01Name()))
}

func TestRFC2136_CNAMEFollow(t *testing.T) {
	srv := startBIND(t, bindtest.Options{})
	ctx := testCtx(t)
	checker, err := dns01.New(dns01.Config{Resolvers: []string{srv.Addr}, NameserverPort: srv.Port})
	require.NoError(t, err)
	s := newSolver(t, srv, func(c *Config) { c.Checker = checker })
	ch := challenge("alias.example.test", false, "tok.thumb")

	target, err := checker.EffectiveName(ctx, ch.DNS01Name())
	require.NoError(t, err)
	require.Equal(t, "alias.delegated.test.", target)
	ch.ResolvedFQDN = target

	require.Error(t, checker.Check(ctx, ch.DNS01Name(), ch.DNS01Value()))
	require.NoError(t, s.Present(ctx, ch))
	assert.Equal(t, []string{ch.DNS01Value()}, srv.TXT(t, target), "written at the target, in delegated.test")
	require.NoError(t, checker.Check(ctx, ch.DNS01Name(), ch.DNS01Value()), "the check follows the CNAME")
	require.NoError(t, s.Check(ctx, ch))
	require.NoError(t, s.CleanUp(ctx, ch))
	assert.Empty(t, srv.TXT(t, target))
}

func TestRFC2136_CheckWithoutCheckerAsksThePrimary(t *testing.T) {
	srv := startBIND(t, bindtest.Options{})
	ctx := testCtx(t)
	s := newSolver(t, srv, nil)
	ch := challenge("host.example.test", false, "tok.thumb")
	require.ErrorIs(t, s.Check(ctx, ch), dns01.ErrNotPropagated)
	require.NoError(t, s.Present(ctx, ch))
	require.NoError(t, s.Check(ctx, ch))
}

// BIND on 127.0.0.1:P is ns1 and takes the updates; a stub on 127.0.0.2:P
// is ns2 and never gets them, like a secondary that stopped transferring.
func TestRFC2136_CheckerAgainstBIND(t *testing.T) {
	srv, ns2 := bindtest.StartWithStubSecondary(t, bindtest.Options{})
	port := srv.Port
	ctx := testCtx(t)
	checker, err := dns01.New(dns01.Config{Resolvers: []string{srv.Addr}, NameserverPort: port})
	require.NoError(t, err)
	s := newSolver(t, srv, func(c *Config) { c.Checker = checker })
	ch := challenge("host.example.test", false, "tok.thumb")

	require.NoError(t, s.Present(ctx, ch))
	err = s.Check(ctx, ch)
	require.ErrorIs(t, err, dns01.ErrNotPropagated)
	want := fmt.Sprintf("ns2.example.test (127.0.0.2:%d): NXDOMAIN; ns1.example.test (127.0.0.1:%d): found", port, port)
	assert.Contains(t, err.Error(), want)

	ns2.Add(t, fmt.Sprintf("%s 60 IN TXT %q", ch.DNS01Name(), ch.DNS01Value()))
	require.NoError(t, s.Check(ctx, ch))

	require.NoError(t, s.CleanUp(ctx, ch))
	err = s.Check(ctx, ch)
	require.ErrorIs(t, err, dns01.ErrNotPropagated)
	assert.Contains(t, err.Error(), fmt.Sprintf("ns1.example.test (127.0.0.1:%d): NXDOMAIN", port))
}

func TestRFC2136_EveryAcceptedAlgorithmAgainstBIND(t *testing.T) {
	for _, tt := range []struct{ certManager, bind string }{
		// cert-manager's set (issuer.go supportedTSIGAlgorithms, v1.21.1) without HMACMD5.
		{"HMACSHA1", dns.HmacSHA1}, {"HMACSHA256", dns.HmacSHA256}, {"HMACSHA512", dns.HmacSHA512},
	} {
		t.Run(tt.certManager, func(t *testing.T) {
			srv := startBIND(t, bindtest.Options{Algorithm: tt.bind})
			s := newSolver(t, srv, func(c *Config) { c.TSIGAlgorithm = tt.certManager })
			ch := challenge("host.example.test", false, "tok.thumb")
			require.NoError(t, s.Present(testCtx(t), ch))
			assert.Equal(t, []string{ch.DNS01Value()}, srv.TXT(t, ch.DNS01Name()))
		})
	}
}

func TestRFC2136_AlgorithmMismatch_RejectedAndNothingWritten(t *testing.T) {
	srv := startBIND(t, bindtest.Options{}) // hmac-sha256
	s := newSolver(t, srv, func(c *Config) { c.TSIGAlgorithm = "HMACSHA512" })
	ch := challenge("host.example.test", false, "tok.thumb")
	err := s.Present(testCtx(t), ch)
	require.ErrorIs(t, err, ErrBadKey, "BIND knows the key name only with its own algorithm")
	assert.Empty(t, srv.TXT(t, ch.DNS01Name()))
}
