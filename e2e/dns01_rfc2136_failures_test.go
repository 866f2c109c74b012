package e2e

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/bindtest"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/solver/rfc2136"
)

// TestDNS01_RFC2136_SecondaryNeverUpdatedFailsAtDeadline: BIND (ns1) takes
// the record, a secondary (ns2) never gets it, so the self-check fails until
// its deadline; the challenge fails naming ns2, the record is removed from
// BIND, and the certificate backs off.
func TestDNS01_RFC2136_SecondaryNeverUpdatedFailsAtDeadline(t *testing.T) {
	bind, stub := bindtest.StartWithStubSecondary(t, bindtest.Options{})
	rec := &recordingProvider{inner: &rfc2136.Provider{}, served: func(ctx context.Context, name string) ([]string, error) {
		return servedTXT(ctx, bind, name)
	}}
	const timeout = 3 * time.Second
	h := startACME(t, acmeSetup{config: func(c *certflow.Config) {
		c.DNS01Providers = map[string]solver.DNS01Provider{"rfc2136": rec}
		c.ACME.DNS01Check = bindCheck(bind, nil)
		c.ACME.SelfCheckTimeout = timeout
	}})
	require.NoError(t, h.m.Apply(h.ctx, tsigSecret("default", bind.Secret)))
	require.NoError(t, h.m.Apply(h.ctx, h.acme.Issuer("default", "bind", rfc2136Solver(bind, bind.KeyName))))
	crt := testrig.ACMECertificate("default", "stuck", "bind", "example.test")
	require.NoError(t, h.m.Apply(h.ctx, crt))

	ref := meta.RefOf(crt)
	got := waitFor(h, ref, "failed issuance", func(c *certificate.Certificate) bool {
		return c.Status.FailedIssuanceAttempts != nil
	})
	assert.Equal(t, 1, *got.Status.FailedIssuanceAttempts)
	assert.NotNil(t, got.Status.LastFailureTime)
	assert.False(t, got.Status.Conditions.IsTrue(meta.ConditionReady))

	ns2 := fmt.Sprintf("ns2.example.test (%s:%d): NXDOMAIN", bindtest.SecondaryIP, bind.Port)
	text := h.waitStatus(ref, ns2)
	assert.Contains(t, text, fmt.Sprintf("ns1.example.test (%s): found", bind.Addr), "the primary had it")
	assert.Contains(t, text, fmt.Sprintf("gave up after %v", timeout))
	t.Log(text)
	ch := h.challengeFor("default", "example.test")
	assert.Equal(t, challenge.StateErrored, ch.Status.State)
	assert.Contains(t, ch.Status.Reason, ns2, "the Challenge names the lagging nameserver")

	const name = "_acme-challenge.example.test."
	h.waitNoTXT(bind, name)
	h.waitCleanups(rec, 1)
	presents, cleanups := rec.calls()
	require.Len(t, presents, 1)
	require.Len(t, cleanups, 1, "the failed challenge was cleaned up")
	value := presents[0].Challenge.DNS01Value()
	assert.Equal(t, []string{value}, cleanups[0].Served, "BIND held the record until the deadline")
	assert.GreaterOrEqual(t, cleanups[0].At.Sub(presents[0].At), timeout, "the self-check kept trying until its deadline")
	assert.Positive(t, stub.Queries(), "the secondary was asked")
	assert.Equal(t, 0, h.acme.Requests(acmetest.EndpointChallenge), "a challenge that never propagated is never sent to the CA")
}

// TestDNS01_RFC2136_BadTSIGIsReportedAndWritesNothing: a wrong secret
// (BADSIG) and a key BIND does not know (BADKEY) fail Present with typed
// errors whose wording reaches the Challenge and the Status tree, and BIND
// holds no record.
func TestDNS01_RFC2136_BadTSIGIsReportedAndWritesNothing(t *testing.T) {
	bind := bindtest.Start(t, bindtest.Options{})
	rec := &recordingProvider{inner: &rfc2136.Provider{}}
	logs := &testrig.Buffer{}
	h := startACME(t, acmeSetup{config: func(c *certflow.Config) {
		c.DNS01Providers = map[string]solver.DNS01Provider{"rfc2136": rec}
		c.ACME.DNS01Check = bindCheck(bind, nil)
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}})
	wrong := randomTSIGSecret(t)
	defer func() {
		// Every failure was logged, and neither secret with it.
		assert.Contains(t, logs.String(), "level=WARN")
		assert.NotContains(t, logs.String(), bind.Secret, "the TSIG secret never reaches a log line")
		assert.NotContains(t, logs.String(), wrong, "nor a wrong one")
	}()
	require.NoError(t, h.m.Apply(h.ctx, tsigSecret("badsig", wrong)))
	require.NoError(t, h.m.Apply(h.ctx, tsigSecret("badkey", bind.Secret)))

	cases := []struct {
		ns, keyName string
		sentinel    error
		tsigError   uint16
		wording     string
	}{
		{ns: "badsig", keyName: bind.KeyName, sentinel: rfc2136.ErrBadSignature, tsigError: dns.RcodeBadSig, wording: "(BADSIG)"},
		{ns: "badkey", keyName: "unknown-key.", sentinel: rfc2136.ErrBadKey, tsigError: dns.RcodeBadKey, wording: "(BADKEY)"},
	}
	for _, tc := range cases {
		name := tc.ns + ".example.test"
		require.NoError(t, h.m.Apply(h.ctx, h.acme.Issuer(tc.ns, "bind", rfc2136Solver(bind, tc.keyName))))
		require.NoError(t, h.m.Apply(h.ctx, testrig.ACMECertificate(tc.ns, "web", "bind", name)))
		text := h.waitStatus(meta.Ref{Kind: meta.KindCertificate, Namespace: tc.ns, Name: "web"}, tc.wording)
		assert.Contains(t, text, "present", tc.ns)
		assert.Contains(t, h.challengeFor(tc.ns, name).Status.Reason, tc.wording, "the Challenge carries the reason")
		assert.NotContains(t, text, bind.Secret)
		assert.NotContains(t, text, wrong)
		t.Log(text)

		var seen bool
		presents, _ := rec.calls()
		for _, p := range presents {
			if p.Challenge.Identifier != name {
				continue
			}
			seen = true
			assert.ErrorIs(t, p.Err, tc.sentinel, tc.ns)
			var ue *rfc2136.UpdateError
			if assert.True(t, errors.As(p.Err, &ue), tc.ns) {
				assert.Equal(t, dns.RcodeNotAuth, ue.Rcode, tc.ns)
				assert.Equal(t, tc.tsigError, ue.TSIGError, tc.ns)
			}
		}
		assert.True(t, seen, "Present was called for %s", name)
		assert.Empty(t, bind.TXT(t, "_acme-challenge."+name), "nothing was written for %s", name)
	}
	presents, _ := rec.calls()
	for _, p := range presents {
		assert.False(t, strings.Contains(fmt.Sprint(p.Err), bind.Secret) || strings.Contains(fmt.Sprint(p.Err), wrong), "errors never carry a TSIG secret")
	}
	assert.Equal(t, 0, h.acme.Requests(acmetest.EndpointChallenge), "an unpresented challenge is never sent to the CA")
}
