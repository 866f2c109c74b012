package e2e

import (
	"crypto/x509"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
)

// fallbackRig is a Manager with two ACME issuers: "first", on a CA of its
// own (a second acmetest server validating on the Manager's ports), and
// "second", on the harness's CA.
type fallbackRig struct {
	*harness
	first *acmetest.Server
	// drive runs the Manager's clock, at the wall clock's pace until a
	// test jumps it.
	drive *clockDriver
}

// startFallback starts both CAs, the first with firstOpts, and applies the
// issuers; firstServer, if not empty, points "first" elsewhere.
func startFallback(t *testing.T, firstServer string, firstOpts ...acmetest.Option) *fallbackRig {
	t.Helper()
	h, _, drive := startACMEDriven(t, acmeSetup{})
	first := acmetest.NewServer(t, append([]acmetest.Option{acmetest.WithHTTP01Port(h.acme.HTTPPort),
		acmetest.WithTLSALPN01Port(h.acme.TLSPort)}, firstOpts...)...)
	iss1 := h.acme.Issuer("default", "first")
	iss1.Spec.ACME.Server = first.DirectoryURL()
	if firstServer != "" {
		iss1.Spec.ACME.Server = firstServer
	}
	require.NoError(t, h.m.Apply(h.ctx, iss1))
	require.NoError(t, h.m.Apply(h.ctx, h.acme.Issuer("default", "second")))
	return &fallbackRig{harness: h, first: first, drive: drive}
}

// certificate is a Certificate for name issued by "first", else "second".
func (r *fallbackRig) certificate(name string) *certificate.Certificate {
	c := testrig.ACMECertificate("default", name, "first", name+".example.test")
	c.Spec.FallbackIssuerRefs = []meta.IssuerRef{{Name: "second"}}
	return c
}

// verifiesWith reports whether the Secret's leaf chains to roots.
func (r *fallbackRig) verifiesWith(t *testing.T, secretName string, roots *x509.CertPool) bool {
	t.Helper()
	chain := secretChain(t, r.harness, "default", secretName)
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := chain[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
	return err == nil
}

// TestACME_Fallback: for each way the first CA can fail, the Certificate
// ends Ready issued by the second CA (its leaf chains to the second CA's
// roots, not the first's), the first CA saw only the requests the failure
// took, the status and the Status tree name both issuers and why the first
// was skipped; a renewal, with the first CA healthy again, is issued by
// the first CA.
func TestACME_Fallback(t *testing.T) {
	tests := []struct {
		name   string
		faults []acmetest.Fault
		reason meta.Reason
		msg    string
		// newOrders is how many newOrder requests the failure costs the
		// first CA: one refusal, or the attempts that make it unreachable.
		newOrders int
		// retryAfter is the CA's Retry-After: the account asks it nothing
		// before it has passed.
		retryAfter time.Duration
	}{
		{name: "rate limited", reason: request.ReasonRateLimited, msg: "rateLimited", newOrders: 1, retryAfter: 2 * time.Second,
			faults: []acmetest.Fault{acmetest.RateLimited(acmetest.EndpointNewOrder, 1, 2*time.Second)}},
		{name: "identifier rejected", reason: request.ReasonIdentifierRejected, msg: "rejectedIdentifier", newOrders: 1,
			faults: []acmetest.Fault{acmetest.RejectedIdentifier(acmetest.EndpointNewOrder, 1)}},
		{name: "unreachable: 5xx on every try", reason: request.ReasonUnreachable, msg: "serverInternal", newOrders: request.UnreachableAttempts,
			faults: []acmetest.Fault{{Endpoint: acmetest.EndpointNewOrder, Nth: 1, Repeat: request.UnreachableAttempts, Kind: acmetest.FaultServerInternal}}},
		{name: "unreachable: no answer on every try", reason: request.ReasonUnreachable, msg: fmt.Sprintf("(%d attempts)", request.UnreachableAttempts), newOrders: request.UnreachableAttempts,
			faults: []acmetest.Fault{{Endpoint: acmetest.EndpointNewOrder, Nth: 1, Repeat: request.UnreachableAttempts, Kind: acmetest.FaultDropConnection}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := startFallback(t, "", acmetest.WithFaults(tt.faults...))
			start := time.Now()
			c := r.issue(nil, r.certificate("fb"))
			t.Logf("issued by the fallback in %v", time.Since(start).Round(time.Millisecond))
			ref := meta.RefOf(c)

			require.NotNil(t, c.Status.IssuedBy)
			assert.Equal(t, "second", c.Status.IssuedBy.Name)
			require.Len(t, c.Status.SkippedIssuers, 1)
			skip := c.Status.SkippedIssuers[0]
			assert.Equal(t, "first", skip.IssuerRef.Name)
			assert.Equal(t, tt.reason, skip.Reason)
			assert.Contains(t, skip.Message, tt.msg)
			assert.Nil(t, c.Status.FailedIssuanceAttempts, "passing an issuer over is not a failure")
			assert.True(t, r.verifiesWith(t, c.Spec.SecretName, r.acme.Roots()), "the leaf chains to the second CA")
			assert.False(t, r.verifiesWith(t, c.Spec.SecretName, r.first.Roots()), "not to the first")
			assert.Equal(t, tt.newOrders, r.first.Requests(acmetest.EndpointNewOrder), "the first CA saw only what the failure took")
			assert.Zero(t, r.first.OrderCount(), "the first CA opened no order")
			assert.Equal(t, 1, r.acme.OrderCount())

			// Renewal information comes from the CA that issued the leaf,
			// asked at the first check (one check interval after issuance).
			withARI, _ := awaitARI(r.harness, r.drive, ref)
			assert.Empty(t, withARI.Status.ACME.ARI.LastError)
			assert.NotNil(t, withARI.Status.ACME.ARI.SuggestedWindow)
			assert.Zero(t, r.first.Requests(acmetest.EndpointRenewalInfo), "the first CA is not asked about the second CA's leaf")

			tree, err := r.m.Status(r.ctx, ref)
			require.NoError(t, err)
			text := tree.String()
			assert.Contains(t, text, "Issued By:")
			assert.Contains(t, text, "Issuer second")
			assert.Contains(t, text, fmt.Sprintf("Issuer first: %s: ", tt.reason))

			// The next renewal starts at the first issuer, healthy now. The
			// CA's Retry-After runs from its 429, which came before the
			// skip was recorded; a renewal before that is passed over
			// without asking (TestACME_Fallback_AccountRateLimited).
			if tt.retryAfter > 0 {
				<-time.After(time.Until(skip.Time.Add(tt.retryAfter)))
			}
			rn, err := r.m.Renew(r.ctx, ref)
			require.NoError(t, err)
			require.NoError(t, r.m.WaitReady(r.ctx, ref, certflow.ForRenewal(rn)))
			renewed := &certificate.Certificate{}
			require.NoError(t, r.m.Get(r.ctx, ref, renewed))
			require.NotNil(t, renewed.Status.IssuedBy)
			assert.Equal(t, "first", renewed.Status.IssuedBy.Name)
			assert.Empty(t, renewed.Status.SkippedIssuers)
			assert.True(t, r.verifiesWith(t, c.Spec.SecretName, r.first.Roots()), "the renewed leaf chains to the first CA")
			assert.Equal(t, tt.newOrders+1, r.first.Requests(acmetest.EndpointNewOrder))
			orders := r.first.NewOrders()
			assert.Empty(t, orders[len(orders)-1].Replaces, "the first CA is not asked to replace the second CA's certificate")
			assert.Equal(t, 1, r.first.OrderCount())
			assert.Equal(t, 1, r.acme.OrderCount(), "the second CA was not asked again")
		})
	}
}

// TestACME_Fallback_IssuerNotReady: an issuer whose CA cannot be reached
// at all (a closed port) never registers its account; the Certificate is
// issued by the next one and says why.
func TestACME_Fallback_IssuerNotReady(t *testing.T) {
	t.Parallel()
	l, port := testrig.ListenLoopback(t)
	require.NoError(t, l.Close()) // nothing listens there: connections are refused
	closed := fmt.Sprintf("https://127.0.0.1:%d/dir", port)
	r := startFallback(t, closed)
	waitFor(r.harness, meta.Ref{Kind: meta.KindIssuer, Namespace: "default", Name: "first"}, "first issuer failed to register",
		func(i *issuer.Issuer) bool {
			c := i.Status.Conditions.Get(meta.ConditionReady)
			return c != nil && c.Status == meta.ConditionFalse
		})

	c := r.issue(nil, r.certificate("down"))
	require.NotNil(t, c.Status.IssuedBy)
	assert.Equal(t, "second", c.Status.IssuedBy.Name)
	require.Len(t, c.Status.SkippedIssuers, 1)
	assert.Equal(t, request.ReasonIssuerNotReady, c.Status.SkippedIssuers[0].Reason)
	assert.Contains(t, c.Status.SkippedIssuers[0].Message, string(issuer.ReasonErrRegisterACMEAccount))
	assert.True(t, r.verifiesWith(t, c.Spec.SecretName, r.acme.Roots()))
}

// TestACME_Fallback_AccountRateLimited: the first CA rate limits the
// account for a minute. Every Certificate falls back, including those
// whose orders never reached the CA (the account waits: they learn it
// from the account's hold, not from a 429 of their own), and the first CA
// sees no more newOrders than the account had in flight when the first
// 429 came.
func TestACME_Fallback_AccountRateLimited(t *testing.T) {
	t.Parallel()
	r := startFallback(t, "", acmetest.WithFaults(acmetest.Fault{Endpoint: acmetest.EndpointNewOrder, Nth: 1, Repeat: -1,
		Kind: acmetest.FaultRateLimited, RetryAfter: time.Minute}))
	const n = 6
	var refs []meta.Ref
	for i := range n {
		c := r.certificate(fmt.Sprintf("many-%d", i))
		require.NoError(t, r.m.Apply(r.ctx, c))
		refs = append(refs, meta.RefOf(c))
	}
	for _, ref := range refs {
		c := r.waitReady(ref)
		require.NotNil(t, c.Status.IssuedBy, ref.Name)
		assert.Equal(t, "second", c.Status.IssuedBy.Name, ref.Name)
		require.Len(t, c.Status.SkippedIssuers, 1, ref.Name)
		assert.Equal(t, request.ReasonRateLimited, c.Status.SkippedIssuers[0].Reason, ref.Name)
	}
	inFlight := max(2, r.cfg.Workers/4) // Config.ACME.MaxInFlightPerAccount's default
	sent := r.first.Requests(acmetest.EndpointNewOrder)
	assert.LessOrEqual(t, sent, inFlight, "the held account sent nothing more")
	assert.Zero(t, r.first.OrderCount())
	assert.Equal(t, n, r.acme.OrderCount())

	// A renewal within the CA's Retry-After does not ask the first CA.
	rn, err := r.m.Renew(r.ctx, refs[0])
	require.NoError(t, err)
	require.NoError(t, r.m.WaitReady(r.ctx, refs[0], certflow.ForRenewal(rn)))
	c := &certificate.Certificate{}
	require.NoError(t, r.m.Get(r.ctx, refs[0], c))
	assert.Equal(t, 2, *c.Status.Revision)
	assert.Equal(t, "second", c.Status.IssuedBy.Name)
	// The renewal's own skip, after the first issuance's, kept while the
	// CA's Retry-After runs.
	var renewal []certificate.SkippedIssuer
	for _, s := range c.Status.SkippedIssuers {
		if s.Revision == 2 {
			renewal = append(renewal, s)
		}
	}
	require.Len(t, renewal, 1, "%+v", c.Status.SkippedIssuers)
	assert.Contains(t, renewal[0].Message, "not sent")
	assert.Equal(t, sent, r.first.Requests(acmetest.EndpointNewOrder), "the held account sent nothing")
	orders := r.acme.NewOrders()
	assert.NotEmpty(t, orders[len(orders)-1].Replaces, "the second CA is asked to replace its own certificate")
}
