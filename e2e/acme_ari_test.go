package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
)

// The CA is first asked about a fresh leaf one check interval after
// issuance (6 hours plus up to a tenth), not at once; until then the
// leaf's validity decides its renewal. Then the CA's window decides: the
// time drawn lies inside it, is the certificate's renewal time, and
// survives a restart (a new Manager on the same Store asks again and keeps
// it). Status shows the window, the explanation URL and the next check.
func TestACME_ARI_RenewsInsideTheSuggestedWindow(t *testing.T) {
	h, _, drive := startACMEFake(t, acmetest.WithAlwaysValid())
	crt := testrig.ACMECertificate("default", "ari", "acme", "ari.example.test")
	issued := h.issue(h.acme.Issuer("default", "acme"), crt)
	ref := meta.RefOf(crt)
	pending, _, first := awaitFirstARICheck(h, ref)
	assert.Zero(t, h.acme.Requests(acmetest.EndpointRenewalInfo), "nothing asked about a fresh leaf")
	assert.Nil(t, pending.Status.ACME.ARI.LastChecked)
	assert.Equal(t, certificate.RenewalBasisDefault, certificate.RenewalBasisOf(pending), "until the first check, the validity decides")
	issuedAt := issued.Status.Conditions.Get(meta.ConditionReady).LastTransitionTime
	assert.WithinRange(t, first, issuedAt.Add(certificate.ARIDefaultCheck), issuedAt.Add(certificate.ARIDefaultCheck*11/10+time.Second),
		"first asked one check interval after issuance, plus at most a tenth")

	c, leaf := awaitARI(h, drive, ref)
	assert.Equal(t, 1, h.acme.Requests(acmetest.EndpointRenewalInfo), "asked once, at the first check")
	a := c.Status.ACME.ARI

	// Pebble's window: two days around 2/3 of the validity.
	ideal := leaf.NotAfter.Add(-leaf.NotAfter.Sub(leaf.NotBefore) / 3)
	require.NotNil(t, a.SuggestedWindow)
	assert.WithinDuration(t, ideal.Add(-24*time.Hour), a.SuggestedWindow.Start, time.Minute)
	assert.WithinDuration(t, ideal.Add(24*time.Hour), a.SuggestedWindow.End, time.Minute)
	assert.WithinRange(t, *a.SelectedTime, a.SuggestedWindow.Start, a.SuggestedWindow.End)
	assert.Equal(t, *a.SelectedTime, *c.Status.RenewalTime, "the renewal time is the one drawn in the window")
	assert.WithinRange(t, *a.NextCheck, a.LastChecked.Add(6*time.Hour), a.LastChecked.Add(6*time.Hour+36*time.Minute),
		"asked again after Pebble's Retry-After (6h), plus at most a tenth")

	// Restart: the stored choice holds, no new draw for the same window.
	selected := *a.SelectedTime
	h.stopManager()
	h.startManager(h.st)
	again := waitFor(h, ref, "still Ready", testrig.CertReady)
	assert.Equal(t, selected, *again.Status.ACME.ARI.SelectedTime, "replicas and restarts keep the time drawn")

	tree, err := h.m.Status(h.ctx, ref)
	require.NoError(t, err)
	text := tree.String()
	assert.Contains(t, text, "Renewal Window:")
	assert.Contains(t, text, a.SuggestedWindow.Start.UTC().Format(time.RFC3339))
	assert.Contains(t, text, "Next Renewal Info Check:")
	js, err := tree.JSON()
	require.NoError(t, err)
	assert.Contains(t, string(js), "Renewal Window")
}

// A window that moves into the past (the CA plans to revoke) renews at the
// next check, at once, and the new order names the old certificate in
// replaces — at the CA and in the Order.
func TestACME_ARI_RevokedAtTheCA_RenewsAtOnceWithReplaces(t *testing.T) {
	h, clk, drive := startACMEFake(t, acmetest.WithAlwaysValid())
	crt := testrig.ACMECertificate("default", "revoked", "acme", "revoked.example.test")
	h.issue(h.acme.Issuer("default", "acme"), crt)
	ref := meta.RefOf(crt)
	c, leaf := awaitARI(h, drive, ref)
	oldID, err := acmeproto.CertID(leaf)
	require.NoError(t, err)
	assert.True(t, c.Status.RenewalTime.After(clk.Now().Add(30*24*time.Hour)), "a 90-day certificate renews in about 60 days")

	require.NoError(t, h.acme.Revoke(leaf))
	next := *c.Status.ACME.ARI.NextCheck
	drive.jump(next)
	renewed := waitFor(h, ref, "revision 2", func(c *certificate.Certificate) bool {
		return testrig.CertReady(c) && *c.Status.Revision == 2
	})
	assert.NotEqual(t, leaf.SerialNumber, secretLeaf(t, h, "default", renewed.Spec.SecretName).SerialNumber)

	req := &request.CertificateRequest{}
	require.NoError(t, h.st.Get(h.ctx, meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "default", Name: "revoked-2"}, req))
	assert.Equal(t, oldID, req.ObjectMeta.Annotations[request.AnnotationACMEReplaces])
	assert.False(t, req.ObjectMeta.CreationTime.After(next.Add(time.Minute)), "renewed at the check that saw the past window")
	assert.Equal(t, oldID, orderOf(t, h, "default", "revoked-2").Spec.Replaces)
	recs := h.acme.NewOrders()
	require.Len(t, recs, 2)
	assert.Empty(t, recs[0].Replaces)
	assert.Equal(t, oldID, recs[1].Replaces, "the CA saw replaces")
	assert.Equal(t, http.StatusCreated, recs[1].Status)
}

// The mass-revocation drill: 50 certificates revoked at the CA at once,
// right after their issuance, before the CA was first asked about them
// (which comes one check interval after issuance, not at once). Each is
// replaced at that first renewalInfo check — within one check interval of
// the revocation — the checks spread over the interval, every new order
// names the certificate it replaces, and none fails on a rate limit.
func TestACME_ARI_MassRevocationDrill(t *testing.T) {
	const n = 50
	h, clk, drive := startACMEFake(t, acmetest.WithAlwaysValid())
	require.NoError(t, h.m.Apply(h.ctx, h.acme.Issuer("default", "acme")))
	refs := make([]meta.Ref, n)
	for i := range n {
		crt := testrig.ACMECertificate("default", "drill-"+strconv.Itoa(i), "acme", fmt.Sprintf("drill-%d.example.test", i))
		require.NoError(t, h.m.Apply(h.ctx, crt))
		refs[i] = meta.RefOf(crt)
	}
	type target struct {
		ref       meta.Ref
		id        string
		nextCheck time.Time
	}
	targets := make([]target, n)
	for i, ref := range refs {
		_, leaf, first := awaitFirstARICheck(h, ref)
		id, err := acmeproto.CertID(leaf)
		require.NoError(t, err)
		targets[i] = target{ref, id, first}
		require.NoError(t, h.acme.Revoke(leaf))
	}
	revokedAt := clk.Now()
	wallStart := time.Now()
	ordersBefore := len(h.acme.NewOrders())

	// The checks come as the clock reaches them, earliest first; each
	// replacement is awaited before the clock jumps on (an order takes
	// wall-clock time at the CA, and a jump must not time it out), so the
	// clock says when each ran.
	sort.Slice(targets, func(i, j int) bool { return targets[i].nextCheck.Before(targets[j].nextCheck) })
	replacedAt := make([]time.Time, n)
	for i, tg := range targets {
		if clk.Now().Before(tg.nextCheck) {
			drive.jump(tg.nextCheck)
		}
		req := &request.CertificateRequest{}
		h.awaitStore(tg.ref.Name+" requests its replacement", func() bool {
			return h.st.Get(h.ctx, meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "default", Name: tg.ref.Name + "-2"}, req) == nil
		})
		assert.Equal(t, tg.id, req.ObjectMeta.Annotations[request.AnnotationACMEReplaces], tg.ref.Name)
		replacedAt[i] = *req.ObjectMeta.CreationTime
		waitFor(h, tg.ref, tg.ref.Name+" revision 2", func(c *certificate.Certificate) bool {
			return testrig.CertReady(c) && *c.Status.Revision == 2
		})
	}
	wall := time.Since(wallStart)

	// Replaced at the check (give or take the wall time a replacement
	// takes, which the clock runs on through), and that check was due
	// within one check interval of the revocation.
	interval := certificate.ARIDefaultCheck + certificate.ARIDefaultCheck/10
	for i, tg := range targets {
		assert.False(t, replacedAt[i].Before(revokedAt), tg.ref.Name)
		assert.False(t, replacedAt[i].After(tg.nextCheck.Add(time.Minute)), "%s replaced at its next check", tg.ref.Name)
		assert.LessOrEqual(t, tg.nextCheck.Sub(revokedAt), interval, "%s checked within one check interval", tg.ref.Name)
	}
	slices.SortFunc(replacedAt, func(a, b time.Time) int { return a.Compare(b) })
	first, last := replacedAt[0].Sub(revokedAt), replacedAt[n-1].Sub(revokedAt)
	assert.Greater(t, last-first, 10*time.Minute, "the replacements spread over the interval, not one burst")

	recs := h.acme.NewOrders()[ordersBefore:]
	require.Len(t, recs, n, "one replacement order per certificate")
	ids := map[string]bool{}
	for _, tg := range targets {
		ids[tg.id] = true
	}
	for _, r := range recs {
		assert.Equal(t, http.StatusCreated, r.Status, "no order refused (rate limit or otherwise)")
		assert.True(t, ids[r.Replaces], "every new order names the certificate it replaces")
		delete(ids, r.Replaces)
	}
	for _, r := range h.acme.RequestLog() {
		assert.NotEqual(t, acmetest.FaultRateLimited, r.Fault)
	}
	for _, tg := range targets {
		c := &certificate.Certificate{}
		require.NoError(t, h.st.Get(h.ctx, tg.ref, c))
		assert.Nil(t, c.Status.FailedIssuanceAttempts, tg.ref.Name)
	}
	t.Logf("drill: %d certificates revoked at %s (fake clock); replaced from +%s to +%s (p50 +%s) after the revocation, check interval %s; wall time %s",
		n, revokedAt.Format(time.RFC3339), first.Round(time.Second), last.Round(time.Second),
		replacedAt[n/2].Sub(revokedAt).Round(time.Second), interval, wall.Round(time.Millisecond))
}
