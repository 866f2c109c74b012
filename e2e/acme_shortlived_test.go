package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// shortLivedProfile is Pebble standing in for Let's Encrypt's shortlived
// profile: 160-hour certificates.
func shortLivedProfile() []acmetest.Option {
	return []acmetest.Option{acmetest.WithAlwaysValid(),
		acmetest.WithProfile("shortlived", acmetest.Profile{Description: "160 hours", ValidityPeriod: 160 * time.Hour})}
}

// A short-lived certificate from a CA whose renewal information is off
// (Config.ACME.NoRenewalInfo) renews at half its lifetime, not at
// cert-manager's two thirds: the renewal time is half-life (less the
// certificate's jitter), Status says why, and the renewal order is placed
// when the clock reaches it.
func TestACME_ShortLived_RenewsAtHalfLifeWithoutARI(t *testing.T) {
	clk := clock.NewFake(time.Now())
	h := startACME(t, acmeSetup{acmeOpts: shortLivedProfile(), store: memory.New(memory.WithClock(clk)),
		config: func(c *certflow.Config) { c.Clock = clk; c.ACME.NoRenewalInfo = true }})
	drive := driveClock(t, h.ctx, clk)
	iss := h.acme.Issuer("default", "short")
	iss.Spec.ACME.Profile = "shortlived"
	c := h.issue(iss, testrig.ACMECertificate("default", "six-day", "short", "six-day.example.test"))
	leaf := secretLeaf(t, h, "default", c.Spec.SecretName)
	require.Equal(t, 160*time.Hour, leaf.NotAfter.Sub(leaf.NotBefore).Round(time.Hour))

	half := leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2)
	rt := *c.Status.RenewalTime
	assert.WithinRange(t, rt, half.Add(-time.Hour), half, "half-life, moved earlier by at most an hour of jitter")
	want, basis := certificate.ScheduleRenewal(leaf.NotBefore, leaf.NotAfter, &c.Spec, certificate.JitterKey(c))
	assert.Equal(t, want, rt)
	assert.Equal(t, certificate.RenewalBasisShortLivedHalfLife, basis)
	assert.Equal(t, certificate.RenewalBasisShortLivedHalfLife, certificate.RenewalBasisOf(c))
	tree, err := h.m.Status(h.ctx, meta.RefOf(c))
	require.NoError(t, err)
	assert.Contains(t, tree.String(), "Renewal Basis:")
	assert.Contains(t, tree.String(), string(certificate.RenewalBasisShortLivedHalfLife)+": half the lifetime")

	drive.jump(rt)
	renewed := waitFor(h, meta.RefOf(c), "revision 2", func(c *certificate.Certificate) bool {
		return testrig.CertReady(c) && *c.Status.Revision == 2
	})
	req := &request.CertificateRequest{}
	require.NoError(t, h.st.Get(h.ctx, meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "default", Name: "six-day-2"}, req))
	assert.False(t, req.ObjectMeta.CreationTime.Before(rt), "not renewed before half-life")
	assert.True(t, req.ObjectMeta.CreationTime.Before(rt.Add(time.Minute)), "renewed at half-life")
	// What follows is about revision 2, read from its request, not from
	// the CA's order count or the Secret: the CA dates leaves by the wall
	// clock, which the Manager's is now half a lifetime ahead of, so the
	// renewed leaf is at its own half-life already and a third revision
	// may follow at once (1 run in 10 did).
	var orders []order.Order
	res, err := h.st.List(h.ctx, store.ListOptions{Kind: meta.KindOrder, Owner: &meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "default", Name: "six-day-2"}})
	require.NoError(t, err)
	for _, raw := range res.Items {
		var o order.Order
		require.NoError(t, raw.Decode(&o))
		orders = append(orders, o)
	}
	require.Len(t, orders, 1, "one order for the renewal")
	placed := h.acme.NewOrders()
	require.GreaterOrEqual(t, len(placed), 2)
	assert.True(t, strings.HasSuffix(orders[0].Status.URL, "/"+placed[1].OrderID), "the renewal's order is the CA's second")
	chain, err := pki.ParseChain(req.Status.Certificate)
	require.NoError(t, err)
	next := chain[0]
	assert.NotEqual(t, leaf.SerialNumber, next.SerialNumber)
	want, _ = certificate.ScheduleRenewal(next.NotBefore, next.NotAfter, &renewed.Spec, certificate.JitterKey(renewed))
	assert.Equal(t, want, *renewed.Status.RenewalTime, "the new leaf renews at its own half-life")
}

// With renewal information from the CA, its window decides a short-lived
// certificate's renewal, not half-life.
func TestACME_ShortLived_ARIWindowDecides(t *testing.T) {
	h, _, drive := startACMEDriven(t, acmeSetup{acmeOpts: shortLivedProfile()})
	iss := h.acme.Issuer("default", "short")
	iss.Spec.ACME.Profile = "shortlived"
	crt := testrig.ACMECertificate("default", "six-day-ari", "short", "six-day-ari.example.test")
	h.issue(iss, crt)
	c, leaf := awaitARI(h, drive, meta.RefOf(crt))
	a := c.Status.ACME.ARI
	require.NotNil(t, a.SelectedTime)
	assert.Equal(t, *a.SelectedTime, *c.Status.RenewalTime)
	assert.Equal(t, certificate.RenewalBasisARI, certificate.RenewalBasisOf(c))
	half := leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2)
	// Pebble's window lies around two thirds of the validity (±24h): 106h40m.
	assert.True(t, c.Status.RenewalTime.After(half), "the CA's window (%s) is after half-life (%s)", c.Status.RenewalTime, half)
	tree, err := h.m.Status(h.ctx, meta.RefOf(c))
	require.NoError(t, err)
	assert.Contains(t, tree.String(), string(certificate.RenewalBasisARI))
}

// withoutARI is a transport hiding the directory's renewalInfo: a CA that
// does not offer ACME Renewal Information.
type withoutARI struct{ base http.RoundTripper }

func (w withoutARI) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := w.base.RoundTrip(r)
	if err != nil || r.URL.Path != "/dir" || res.StatusCode != http.StatusOK {
		return res, err
	}
	defer res.Body.Close()
	var dir map[string]any
	if err := json.NewDecoder(res.Body).Decode(&dir); err != nil {
		return nil, err
	}
	delete(dir, "renewalInfo")
	body, err := json.Marshal(dir)
	if err != nil {
		return nil, err
	}
	res.Body, res.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	res.Header.Del("Content-Length")
	return res, nil
}

// A CA whose directory offers no renewalInfo: the check records so, and
// the short-lived certificate renews at half-life.
func TestACME_ShortLived_CAWithoutARI_HalfLife(t *testing.T) {
	h, _, drive := startACMEDriven(t, acmeSetup{acmeOpts: shortLivedProfile(),
		transport: func(base http.RoundTripper) http.RoundTripper { return withoutARI{base} }})
	iss := h.acme.Issuer("default", "short")
	iss.Spec.ACME.Profile = "shortlived"
	crt := testrig.ACMECertificate("default", "no-ari", "short", "no-ari.example.test")
	h.issue(iss, crt)
	_, _, first := awaitFirstARICheck(h, meta.RefOf(crt))
	drive.jump(first)
	var c *certificate.Certificate
	h.awaitStore("the renewalInfo check failed", func() bool {
		c = &certificate.Certificate{}
		require.NoError(t, h.st.Get(h.ctx, meta.RefOf(crt), c))
		return c.Status.ACME != nil && c.Status.ACME.ARI != nil && c.Status.ACME.ARI.LastError != ""
	})
	assert.Contains(t, c.Status.ACME.ARI.LastError, "does not offer ACME Renewal Information")
	assert.Nil(t, c.Status.ACME.ARI.SelectedTime)
	leaf := secretLeaf(t, h, "default", c.Spec.SecretName)
	want, _ := certificate.ScheduleRenewal(leaf.NotBefore, leaf.NotAfter, &c.Spec, certificate.JitterKey(c))
	assert.Equal(t, want, *c.Status.RenewalTime)
	assert.Equal(t, certificate.RenewalBasisShortLivedHalfLife, certificate.RenewalBasisOf(c))
	assert.Zero(t, h.acme.Requests(acmetest.EndpointRenewalInfo), "nothing asked of a CA that offers nothing")
}
