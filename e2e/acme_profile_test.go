package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/store"
)

// profiles are Pebble's stand-ins for Let's Encrypt's classic and
// shortlived (six-day) profiles.
func profiles() []acmetest.Option {
	return []acmetest.Option{acmetest.WithAlwaysValid(),
		acmetest.WithProfile("classic", acmetest.Profile{Description: "90 days"}),
		acmetest.WithProfile("shortlived", acmetest.Profile{Description: "six days", ValidityPeriod: 6 * 24 * time.Hour})}
}

// orderOf returns the Order of the certificate's request of revision rev.
func orderOf(t *testing.T, h *harness, ns, reqName string) *order.Order {
	t.Helper()
	orders, err := store.ListOf[order.Order](h.ctx, h.st, store.ListOptions{Kind: meta.KindOrder, Namespace: ns,
		Owner: &meta.Ref{Kind: meta.KindCertificateRequest, Namespace: ns, Name: reqName}})
	require.NoError(t, err)
	require.Len(t, orders, 1)
	return orders[0]
}

// The issuer's profile is ordered for its certificates; a Certificate's
// acme.certflow.io/profile annotation overrides it. The CA sees the
// profile, the Order records it, and the leaf has the profile's lifetime.
func TestACME_Profile_PerIssuerAndPerCertificate(t *testing.T) {
	h := startACME(t, acmeSetup{acmeOpts: profiles()})
	iss := h.acme.Issuer("default", "short")
	iss.Spec.ACME.Profile = "shortlived"
	require.NoError(t, h.m.Apply(h.ctx, iss))

	short := h.issue(nil, testrig.ACMECertificate("default", "short", "short", "short.example.test"))
	leaf := secretLeaf(t, h, "default", short.Spec.SecretName)
	assert.Equal(t, 6*24*time.Hour, leaf.NotAfter.Sub(leaf.NotBefore).Round(time.Hour), "six-day certificate from the issuer's profile")
	assert.Equal(t, "shortlived", orderOf(t, h, "default", "short-1").Spec.Profile)

	crt := testrig.ACMECertificate("default", "classic", "short", "classic.example.test")
	crt.ObjectMeta.Annotations = map[string]string{request.AnnotationACMEProfile: "classic"}
	classic := h.issue(nil, crt)
	leaf = secretLeaf(t, h, "default", classic.Spec.SecretName)
	assert.Equal(t, 90*24*time.Hour, leaf.NotAfter.Sub(leaf.NotBefore).Round(time.Hour), "the Certificate's profile wins")
	assert.Equal(t, "classic", orderOf(t, h, "default", "classic-1").Spec.Profile)

	var seen []string
	for _, r := range h.acme.NewOrders() {
		seen = append(seen, r.Profile)
	}
	assert.Equal(t, []string{"shortlived", "classic"}, seen, "the CA was asked for each profile")
}

// A profile the CA does not offer fails the order before any newOrder,
// with a message naming the profiles it offers.
func TestACME_Profile_UnknownFailsClearly(t *testing.T) {
	h := startACME(t, acmeSetup{acmeOpts: profiles()})
	require.NoError(t, h.m.Apply(h.ctx, h.acme.Issuer("default", "acme")))
	crt := testrig.ACMECertificate("default", "typo", "acme", "typo.example.test")
	crt.ObjectMeta.Annotations = map[string]string{request.AnnotationACMEProfile: "tlsserver"}
	require.NoError(t, h.m.Apply(h.ctx, crt))
	want := `ACME profile "tlsserver" is not offered by the CA (it offers: classic, shortlived)`
	c := waitFor(h, meta.RefOf(crt), "the issuance failed", func(c *certificate.Certificate) bool {
		return c.Status.FailedIssuanceAttempts != nil
	})
	assert.Contains(t, c.Status.Conditions.Get(meta.ConditionIssuing).Message, want)
	o := orderOf(t, h, "default", "typo-1")
	assert.Equal(t, order.StateErrored, o.Status.State)
	assert.Contains(t, o.Status.Reason, want)
	assert.Zero(t, h.acme.Requests(acmetest.EndpointNewOrder), "nothing asked of the CA")
}
