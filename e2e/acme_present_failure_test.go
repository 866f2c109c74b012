package e2e

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
)

// errBadSig is what an RFC 2136 server answers an update signed with the
// wrong TSIG secret.
var errBadSig = errors.New("rfc2136: update of _acme-challenge.broken.example.test. refused: NOTAUTH (BADSIG)")

// brokenProvider builds DNS-01 solvers whose Present always fails, as one
// with a wrong TSIG secret does.
type brokenProvider struct{}

func (brokenProvider) NewSolver(context.Context, solver.DNS01Config, string, solver.Secrets) (solver.Solver, error) {
	return brokenSolver{}, nil
}

type brokenSolver struct{}

func (brokenSolver) Present(context.Context, solver.Challenge) error { return errBadSig }
func (brokenSolver) CleanUp(context.Context, solver.Challenge) error { return nil }

// TestACME_DNS01PresentFailingPersistently_FailsWithinItsOwnDeadline: a
// DNS-01 Present that cannot succeed (a bad TSIG key, a provider the
// Manager does not have) is a failed attempt each time; a few attempts fail
// the Challenge, its Order and the Certificate's issuance with the
// provider's reason, in well under the Order's 10-minute timeout.
func TestACME_DNS01PresentFailingPersistently_FailsWithinItsOwnDeadline(t *testing.T) {
	cases := []struct {
		name, provider, want string
	}{
		{name: "present keeps failing", provider: "broken", want: "NOTAUTH (BADSIG)"},
		// Stored by a tool for this Manager, which lacks the provider (Apply
		// would refuse it here).
		{name: "unknown provider", provider: "nope", want: `DNS-01 provider "nope" is not registered with this Manager (registered: broken, rfc2136)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := clock.NewFake(time.Now())
			h := startACME(t, acmeSetup{config: func(c *certflow.Config) {
				c.Clock = clk
				c.DNS01Providers = map[string]solver.DNS01Provider{"broken": brokenProvider{}}
			}})
			start := clk.Now()
			require.NoError(t, h.m.Apply(h.ctx, h.acme.Issuer("default", "dns", solver.Config{DNS01: &solver.DNS01Config{
				Webhook: &solver.WebhookConfig{GroupName: "acme.example.test", SolverName: tc.provider},
			}}), certflow.AnyDNS01Provider()))
			crt := testrig.ACMECertificate("default", "web", "dns", "broken.example.test")
			require.NoError(t, h.m.Apply(h.ctx, crt))
			ref := meta.RefOf(crt)

			// Each failed attempt schedules the next; the fake clock jumps
			// to it, and to nothing else.
			c := &certificate.Certificate{}
			h.awaitStore("the certificate records the failed issuance", func() bool {
				require.NoError(t, h.st.Get(h.ctx, ref, c))
				if c.Status.FailedIssuanceAttempts != nil {
					return true
				}
				chs, err := store.ListOf[challenge.Challenge](h.ctx, h.st, store.ListOptions{Kind: meta.KindChallenge, Namespace: "default"})
				require.NoError(t, err)
				for _, ch := range chs {
					if nb := ch.Status.NotBefore; nb != nil && !ch.Status.State.IsFinal() && clk.Now().Before(*nb) {
						clk.Set(*nb)
					}
				}
				return false
			})
			took := clk.Now().Sub(start)
			assert.Less(t, took, time.Minute, "failed within the present deadline (%v), not the order's 10 minutes", took)

			chs, err := store.ListOf[challenge.Challenge](h.ctx, h.st, store.ListOptions{Kind: meta.KindChallenge, Namespace: "default"})
			require.NoError(t, err)
			require.Len(t, chs, 1)
			assert.Equal(t, challenge.StateErrored, chs[0].Status.State)
			assert.Contains(t, chs[0].Status.Reason, "gave up after 4 failed attempts to present")
			assert.Contains(t, chs[0].Status.Reason, tc.want)

			tree, err := h.m.Status(h.ctx, ref)
			require.NoError(t, err)
			text := tree.String()
			assert.Contains(t, text, "Failed Issuance Attempts: 1")
			assert.Contains(t, text, tc.want, "the certificate's status names the provider's reason")
		})
	}
}
