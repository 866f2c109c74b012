package certflow

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
)

// TestBudget runs each failure mode of ISSUE7 §3 for budgetDays simulated
// days with the default backoff settings against acmetest, counts new
// orders, failed authorizations and issued certificates per name at the CA,
// and checks every sliding window against Let's Encrypt's limits.
func TestBudget(t *testing.T) {
	days := budgetDays(t)
	span := time.Duration(days) * 24 * time.Hour
	persistent500 := func(e acmetest.Endpoint) acmetest.Option {
		return acmetest.WithFaults(acmetest.Fault{Endpoint: e, Nth: 1, Repeat: -1, Kind: acmetest.FaultServerInternal})
	}
	scenarios := []struct {
		name  string
		setup budgetSetup
		cert  func() *certificate.Certificate
		// parallel runs the scenario beside the other parallel ones,
		// after the rest: today's Manager waits in real time there
		// (inline retries), which costs no CPU.
		parallel bool
	}{
		{
			// The CA refuses the identifier at newOrder (rejectedIdentifier).
			name:  "PermanentFailure/IdentifierRefused",
			setup: budgetSetup{acmeOpts: []acmetest.Option{acmetest.WithDomainBlocklist("refused.example.test")}},
			cert: func() *certificate.Certificate {
				return testrig.ACMECertificate("default", "refused", "acme", "refused.example.test")
			},
		},
		{
			// Every HTTP-01 validation fails: the CA is served a wrong key
			// authorization (the self-check is answered truthfully).
			name:  "PermanentFailure/ValidationFails",
			setup: budgetSetup{httpWrap: testrig.LieToTheCA},
			cert: func() *certificate.Certificate {
				return testrig.ACMECertificate("default", "invalid", "acme", "invalid.example.test")
			},
		},
		{
			// Pebble's default profile does not promote the CSR's common
			// name into the leaf, so a leaf never carries spec.commonName.
			name: "LeafNeverSatisfiesSpec/CommonNameDropped",
			cert: func() *certificate.Certificate {
				c := testrig.ACMECertificate("default", "cn", "acme", "cn.example.test")
				c.Spec.CommonName = "cn.example.test"
				return c
			},
		},
		{
			// A common name missing from spec.dnsNames: the order names it
			// as an identifier but the CSR does not list it as a SAN, so
			// the CA refuses every finalize after the authorizations were
			// won ("Order includes different number of DNSnames
			// identifiers than CSR specifies").
			name: "PermanentFailure/FinalizeRefused",
			cert: func() *certificate.Certificate {
				c := testrig.ACMECertificate("default", "san", "acme", "www.san.example.test")
				c.Spec.CommonName = "san.example.test"
				return c
			},
		},
		{
			name:     "CA5xx/NewOrder",
			parallel: true,
			setup:    budgetSetup{acmeOpts: []acmetest.Option{persistent500(acmetest.EndpointNewOrder)}},
			cert: func() *certificate.Certificate {
				return testrig.ACMECertificate("default", "neworder500", "acme", "neworder500.example.test")
			},
		},
		{
			name:     "CA5xx/Finalize",
			parallel: true,
			setup:    budgetSetup{acmeOpts: []acmetest.Option{persistent500(acmetest.EndpointFinalize)}},
			cert: func() *certificate.Certificate {
				return testrig.ACMECertificate("default", "finalize500", "acme", "finalize500.example.test")
			},
		},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			if sc.parallel {
				t.Parallel()
			}
			s := startBudget(t, sc.setup)
			crt := sc.cert()
			s.certRef = meta.RefOf(crt)
			s.issuerReady(s.h.acme.Issuer("default", "acme"))
			require.NoError(t, s.h.m.Apply(s.h.ctx, crt))
			began := time.Now()
			s.run(span)
			got := &certificate.Certificate{}
			require.NoError(t, s.h.m.Get(s.h.ctx, s.certRef, got))
			if os.Getenv(budgetLogEnv) != "" {
				if tree, err := s.h.m.Status(s.h.ctx, s.certRef); err == nil {
					t.Logf("status at the end:\n%v", tree)
				}
			}
			t.Logf("%s: %v simulated in %v real; certificate revision %v, failedIssuanceAttempts %v, Ready %v",
				sc.name, s.clk.Now().Sub(s.start), time.Since(began).Round(time.Millisecond), deref(got.Status.Revision),
				deref(got.Status.FailedIssuanceAttempts), got.Status.Conditions.IsTrue(meta.ConditionReady))
			s.check()
		})
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
