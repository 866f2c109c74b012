package certificate

import (
	"context"
	"crypto/x509"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
)

// countingARI answers every renewalInfo fetch with a window around two
// thirds of the leaf's lifetime, and counts the fetches.
type countingARI struct {
	mu      sync.Mutex
	fetches int
}

func (c *countingARI) RenewalInfo(_ context.Context, _ meta.Ref, leaf *x509.Certificate) (issuer.RenewalInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fetches++
	id, err := acmeproto.CertID(leaf)
	if err != nil {
		return issuer.RenewalInfo{}, err
	}
	mid := leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) * 2 / 3)
	return issuer.RenewalInfo{CertID: id, WindowStart: mid.Add(-time.Hour), WindowEnd: mid.Add(time.Hour)}, nil
}

func (c *countingARI) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fetches
}

// issueWithARI issues cert (of an ACME issuer) on a harness whose
// reconciler asks ari, and returns the stored Certificate once Ready.
func issueWithARI(t *testing.T, h *harness, ari *countingARI, cert *Certificate) *Certificate {
	t.Helper()
	h.r = NewReconciler(h.deps, Options{RenewalInfo: ari})
	h.create(&issuer.Issuer{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "ca"},
		Spec: issuer.Spec{ACME: &issuer.ACMEIssuer{Server: "https://ca.test/dir"}}})
	h.create(cert)
	h.settle(6, meta.RefOf(cert))
	got := h.get(meta.RefOf(cert))
	require.True(t, got.Status.Conditions.IsTrue(meta.ConditionReady), "issued")
	return got
}

// A freshly issued leaf is not asked about at once: the revision's write
// records the first renewalInfo check one check interval later (plus at
// most a tenth), visits before then ask nothing, and the check then asks
// once and records the CA's window as the renewal time.
func TestARI_FirstCheckOneIntervalAfterIssuance(t *testing.T) {
	h := depsForTest(t)
	ari := &countingARI{}
	cert := issueWithARI(t, h, ari, harnessCert("web", "web-tls", "web.example.test"))
	now := h.clock.Now()

	assert.Zero(t, ari.count(), "nothing asked of the CA at issuance")
	require.NotNil(t, cert.Status.ACME)
	a := cert.Status.ACME.ARI
	require.NotNil(t, a)
	assert.Nil(t, a.LastChecked, "not asked yet")
	assert.Nil(t, a.SuggestedWindow)
	require.NotNil(t, a.NextCheck)
	assert.WithinRange(t, *a.NextCheck, now.Add(ARIDefaultCheck), now.Add(ARIDefaultCheck+ARIDefaultCheck/10))
	basis := RenewalBasisOf(cert)
	assert.Equal(t, RenewalBasisDefault, basis, "until the check, the leaf's validity decides")

	// Visits before the check ask nothing and ask to come back for it.
	h.clock.Set(a.NextCheck.Add(-time.Second))
	next, err := h.r.Reconcile(h.ctx, meta.RefOf(cert))
	require.NoError(t, err)
	assert.Zero(t, ari.count())
	assert.Equal(t, *a.NextCheck, next, "the next visit is the check")

	h.clock.Set(*a.NextCheck)
	_, err = h.r.Reconcile(h.ctx, meta.RefOf(cert))
	require.NoError(t, err)
	assert.Equal(t, 1, ari.count(), "asked at the check")
	checked := h.get(meta.RefOf(cert))
	b := checked.Status.ACME.ARI
	require.NotNil(t, b.SuggestedWindow)
	require.NotNil(t, b.LastChecked)
	assert.Equal(t, *b.SelectedTime, *checked.Status.RenewalTime, "the window now decides")
}

// A leaf that renews on its own schedule before one check interval has
// passed is asked halfway to that renewal, so the CA's window is known in
// time.
func TestARI_FirstCheckBeforeAnEarlyRenewal(t *testing.T) {
	h := depsForTest(t)
	ari := &countingARI{}
	c := harnessCert("short", "short-tls", "short.example.test")
	c.Spec.Duration = &meta.Duration{Duration: 4 * time.Hour}
	cert := issueWithARI(t, h, ari, c)
	now := h.clock.Now()
	assert.Zero(t, ari.count())
	rt := *cert.Status.RenewalTime
	require.True(t, rt.Before(now.Add(ARIDefaultCheck)), "renews before a check interval: %v", rt)
	assert.Equal(t, now.Add(rt.Sub(now)/2), *cert.Status.ACME.ARI.NextCheck, "halfway to the renewal")
}
