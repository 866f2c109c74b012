package certflow

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/certflow/certflow/acmetest/acmeleak"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

func listRequests(t *testing.T, h *harness, ns string) []string {
	t.Helper()
	reqs, err := store.ListOf[request.CertificateRequest](h.ctx, h.store, store.ListOptions{Kind: meta.KindCertificateRequest, Namespace: ns})
	require.NoError(t, err)
	var names []string
	for _, r := range reqs {
		names = append(names, r.ObjectMeta.Name)
	}
	return names
}

func TestCAIssuance_WritesVerifiedSecretAndStatus(t *testing.T) {
	h := startManager(t, nil)
	h.setupCA("default", "ca")
	require.NoError(t, h.m.Apply(h.ctx, testrig.Certificate("default", "web", "ca", "web.example.test", "www.example.test")))

	c := waitFor(h, testrig.CertRef("default", "web"), "Ready", testrig.CertReady)
	assert.Equal(t, 1, *c.Status.Revision)
	leaf, _ := testrig.ReadSecret(t, h.ctx, h.store, "default", "web-tls")
	assert.ElementsMatch(t, []string{"web.example.test", "www.example.test"}, leaf.DNSNames)
	assert.Equal(t, "certflow test CA", leaf.Issuer.CommonName)
	assert.Equal(t, leaf.NotAfter, *c.Status.NotAfter)
	assert.Equal(t, 24*time.Hour, leaf.NotAfter.Sub(leaf.NotBefore))
	want, basis := certificate.ScheduleRenewal(leaf.NotBefore, leaf.NotAfter, &c.Spec, certificate.JitterKey(c))
	assert.Equal(t, want, *c.Status.RenewalTime)
	assert.Equal(t, certificate.RenewalBasisShortLivedHalfLife, basis, "a one-day CA certificate renews at half-life")
	assert.Empty(t, c.Status.NextPrivateKeySecretName)

	s := &secret.Secret{}
	require.NoError(t, h.store.Get(h.ctx, meta.Ref{Kind: meta.KindSecret, Namespace: "default", Name: "web-tls"}, s))
	assert.Equal(t, "web", s.ObjectMeta.Annotations[secret.AnnotationCertificateName])
	assert.Equal(t, "ca", s.ObjectMeta.Annotations[secret.AnnotationIssuerName])
	assert.NotEmpty(t, s.Data[secret.CACertKey])
	h.waitUntil("the temporary key is removed", func() bool {
		return h.store.Get(h.ctx, meta.Ref{Kind: meta.KindSecret, Namespace: "default", Name: "web-next-private-key"}, &secret.Secret{}) != nil
	})
	assert.Equal(t, []string{"web-1"}, listRequests(t, h, "default"))
}

func TestRenewal_RotationAlwaysMakesNewKeyAndPrunesOldRequest(t *testing.T) {
	h := startManager(t, nil)
	h.setupCA("default", "ca")
	require.NoError(t, h.m.Apply(h.ctx, testrig.Certificate("default", "web", "ca", "web.example.test")))
	c := waitFor(h, testrig.CertRef("default", "web"), "Ready", testrig.CertReady)
	_, key1 := testrig.ReadSecret(t, h.ctx, h.store, "default", "web-tls")

	h.clock.Set(*c.Status.RenewalTime)
	c = waitFor(h, testrig.CertRef("default", "web"), "revision 2", testrig.RevisionAtLeast(2))
	_, key2 := testrig.ReadSecret(t, h.ctx, h.store, "default", "web-tls")
	assert.NotEqual(t, key1, key2, "rotationPolicy Always must generate a new key")
	h.waitUntil("revisionHistoryLimit 1 keeps only the newest request", func() bool {
		return slices.Equal([]string{"web-2"}, listRequests(t, h, "default"))
	})
	assert.True(t, c.Status.RenewalTime.After(h.clock.Now()))
}

func TestRenewal_RotationNeverKeepsKey(t *testing.T) {
	h := startManager(t, nil)
	h.setupCA("default", "ca")
	crt := testrig.Certificate("default", "web", "ca", "web.example.test")
	crt.Spec.PrivateKey.RotationPolicy = certificate.RotationNever
	require.NoError(t, h.m.Apply(h.ctx, crt))
	c := waitFor(h, testrig.CertRef("default", "web"), "Ready", testrig.CertReady)
	leaf1, key1 := testrig.ReadSecret(t, h.ctx, h.store, "default", "web-tls")

	h.clock.Set(*c.Status.RenewalTime)
	waitFor(h, testrig.CertRef("default", "web"), "revision 2", testrig.RevisionAtLeast(2))
	leaf2, key2 := testrig.ReadSecret(t, h.ctx, h.store, "default", "web-tls")
	assert.Equal(t, key1, key2, "rotationPolicy Never must reuse the key")
	assert.NotEqual(t, leaf1.SerialNumber, leaf2.SerialNumber, "renewal must issue a new certificate")
}

func TestRevisionHistoryLimit_KeepsThatManyRequests(t *testing.T) {
	h := startManager(t, nil)
	h.setupCA("default", "ca")
	crt := testrig.Certificate("default", "web", "ca", "web.example.test")
	limit := int32(2)
	crt.Spec.RevisionHistoryLimit = &limit
	require.NoError(t, h.m.Apply(h.ctx, crt))
	for rev := 1; rev <= 3; rev++ {
		c := waitFor(h, testrig.CertRef("default", "web"), "next revision", testrig.RevisionAtLeast(rev))
		h.clock.Set(*c.Status.RenewalTime)
	}
	waitFor(h, testrig.CertRef("default", "web"), "revision 4", testrig.RevisionAtLeast(4))
	h.waitUntil("revisionHistoryLimit 2 keeps the two newest requests", func() bool {
		return slices.Equal([]string{"web-3", "web-4"}, listRequests(t, h, "default"))
	})
}

func TestCAIssuerUnready_CertificateStatusSaysWhy(t *testing.T) {
	h := startManager(t, nil)
	require.NoError(t, h.m.Apply(h.ctx, testrig.CAIssuer("default", "ca", "missing-ca")))
	require.NoError(t, h.m.Apply(h.ctx, testrig.Certificate("default", "web", "ca", "web.example.test")))

	waitFor(h, meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "default", Name: "web-1"}, "request waits for issuer",
		func(r *request.CertificateRequest) bool {
			c := r.Status.Conditions.Get(meta.ConditionReady)
			return c != nil && c.Reason == request.ReasonIssuerNotReady
		})
	// The request may judge the issuer before the issuer's own first visit
	// records why it is not ready: await that too.
	waitFor(h, meta.Ref{Kind: meta.KindIssuer, Namespace: "default", Name: "ca"}, "issuer says why it is not ready",
		func(iss *issuer.Issuer) bool {
			c := iss.Status.Conditions.Get(meta.ConditionReady)
			return c != nil && c.Status == meta.ConditionFalse
		})
	st, err := h.m.Status(h.ctx, testrig.CertRef("default", "web"))
	require.NoError(t, err)
	text := st.String()
	assert.Contains(t, text, "Issuer default/ca: NotReady")
	assert.Contains(t, text, "missing-ca", "the issuer's reason names the missing Secret")
	assert.Contains(t, text, "CertificateRequest default/web-1: NotReady (IssuerNotReady)")

	// Fixing the issuer lets the pending request finish.
	require.NoError(t, h.m.Apply(h.ctx, testrig.CASecret(t, "default", "missing-ca", h.clock.Now())))
	waitFor(h, testrig.CertRef("default", "web"), "Ready after fix", testrig.CertReady)
}

func TestDeniedRequest_BacksOffThenRetries(t *testing.T) {
	var allow atomic.Bool
	approver := request.ApproverFunc(func(context.Context, *request.CertificateRequest) (request.Decision, error) {
		return request.Decision{Approved: allow.Load(), Reason: "policy says no"}, nil
	})
	h := startManager(t, func(c *Config) { c.Approver = approver; c.BackoffMin = time.Hour })
	h.setupCA("default", "ca")
	require.NoError(t, h.m.Apply(h.ctx, testrig.Certificate("default", "web", "ca", "web.example.test")))

	c := waitFor(h, testrig.CertRef("default", "web"), "first failure", func(c *certificate.Certificate) bool {
		return c.Status.FailedIssuanceAttempts != nil && *c.Status.FailedIssuanceAttempts == 1
	})
	assert.Equal(t, h.clock.Now(), *c.Status.LastFailureTime)
	issuing := c.Status.Conditions.Get(meta.ConditionIssuing)
	require.NotNil(t, issuing)
	assert.Contains(t, issuing.Message, "policy says no")

	h.clock.Advance(time.Hour)
	c = waitFor(h, testrig.CertRef("default", "web"), "second failure after 1h", func(c *certificate.Certificate) bool {
		return c.Status.FailedIssuanceAttempts != nil && *c.Status.FailedIssuanceAttempts == 2
	})
	// The timer is set once the reconcile that wrote the failure returns.
	want := c.Status.LastFailureTime.Add(2 * time.Hour)
	h.waitFor("the second backoff (doubled) is scheduled", func() bool {
		at, ok := h.m.timers.Scheduled(testrig.CertRef("default", "web"))
		return ok && at.Equal(want)
	})
	allow.Store(true)
	r, err := h.m.Renew(h.ctx, testrig.CertRef("default", "web"))
	require.NoError(t, err)
	assert.Equal(t, Renewal{Certificate: testrig.CertRef("default", "web"), Revision: 1, FailedAttempts: 2}, r)
	require.NoError(t, h.m.WaitReady(h.ctx, r.Certificate, ForRenewal(r)), "Ready after manual renew")
}

func TestSpecChange_RetriesAtOnceDespiteBackoff(t *testing.T) {
	approver := request.ApproverFunc(func(_ context.Context, r *request.CertificateRequest) (request.Decision, error) {
		csr, err := pki.ParseCSR(r.Spec.Request)
		if err != nil {
			return request.Decision{}, err
		}
		return request.Decision{Approved: csr.DNSNames[0] != "denied.example.test", Reason: "name policy"}, nil
	})
	h := startManager(t, func(c *Config) { c.Approver = approver; c.BackoffMin = 24 * time.Hour })
	h.setupCA("default", "ca")
	require.NoError(t, h.m.Apply(h.ctx, testrig.Certificate("default", "web", "ca", "denied.example.test")))
	waitFor(h, testrig.CertRef("default", "web"), "failure recorded", func(c *certificate.Certificate) bool {
		return c.Status.FailedIssuanceAttempts != nil
	})

	require.NoError(t, h.m.Apply(h.ctx, testrig.Certificate("default", "web", "ca", "allowed.example.test")))
	c := waitFor(h, testrig.CertRef("default", "web"), "Ready without waiting out the 24h backoff", testrig.CertReady)
	assert.Equal(t, int64(2), c.ObjectMeta.Generation)
	assert.Equal(t, testrig.Epoch, h.clock.Now(), "the fake clock never moved")
}

// Apply refuses an invalid Certificate; one stored by other means (a
// tool writing the Store) is marked NotReady with the reason.
func TestInvalidCertificate_StoredNotReadyWithReason(t *testing.T) {
	h := startManager(t, nil)
	crt := testrig.Certificate("default", "bad", "ca", "*.*.example.test")
	require.ErrorIs(t, h.m.Apply(h.ctx, crt), ErrInvalid)
	require.NoError(t, h.store.Create(h.ctx, crt))
	c := waitFor(h, testrig.CertRef("default", "bad"), "Ready=False Invalid", func(c *certificate.Certificate) bool {
		r := c.Status.Conditions.Get(meta.ConditionReady)
		return r != nil && r.Reason == certificate.ReasonInvalid
	})
	assert.Contains(t, c.Status.Conditions.Get(meta.ConditionReady).Message, "*.*.example.test")
	assert.Empty(t, listRequests(t, h, "default"))
}

func TestApply_BumpsGenerationOnlyOnSpecChange(t *testing.T) {
	clk := memory.New()
	m, err := New(Config{Store: clk})
	require.NoError(t, err)
	ctx := context.Background()
	crt := testrig.Certificate("default", "web", "ca", "a.example.test")
	require.NoError(t, m.Apply(ctx, crt))
	assert.Equal(t, int64(1), crt.ObjectMeta.Generation)

	same := testrig.Certificate("default", "web", "ca", "a.example.test")
	require.NoError(t, m.Apply(ctx, same))
	assert.Equal(t, int64(1), same.ObjectMeta.Generation)

	changed := testrig.Certificate("default", "web", "ca", "b.example.test")
	require.NoError(t, m.Apply(ctx, changed))
	assert.Equal(t, int64(2), changed.ObjectMeta.Generation)
}

func TestStatus_RendersTreeAsTextAndJSON(t *testing.T) {
	h := startManager(t, nil)
	h.setupCA("default", "ca")
	require.NoError(t, h.m.Apply(h.ctx, testrig.Certificate("default", "web", "ca", "web.example.test")))
	waitFor(h, testrig.CertRef("default", "web"), "Ready", testrig.CertReady)

	st, err := h.m.Status(h.ctx, testrig.CertRef("default", "web"))
	require.NoError(t, err)
	text := st.String()
	for _, want := range []string{"Certificate default/web: Ready", "Issuer default/ca: Ready", "Secret default/web-tls: Ready",
		"CertificateRequest default/web-1: Ready (Issued)", "Issued"} {
		assert.Contains(t, text, want)
	}
	js, err := st.JSON()
	require.NoError(t, err)
	assert.True(t, strings.Contains(string(js), `"kind": "CertificateRequest"`))

	ist, err := h.m.Status(h.ctx, meta.Ref{Kind: meta.KindIssuer, Namespace: "default", Name: "ca"})
	require.NoError(t, err)
	require.Len(t, ist.Children, 1)
	assert.Equal(t, "web", ist.Children[0].Name)
}

// leakOptions ignores goroutines that were there before the test began
// (acmetest servers of earlier tests wind down in the background) and
// Pebble's validation authority goroutine, which never exits.
func leakOptions() []goleak.Option {
	return append(acmeleak.IgnoreGoroutines(), goleak.IgnoreCurrent())
}

func TestNew_ValidatesAndStartsNothing(t *testing.T) {
	defer goleak.VerifyNone(t, leakOptions()...)
	_, err := New(Config{})
	require.ErrorIs(t, err, ErrInvalidConfig)
	_, err = New(Config{Store: memory.New(), BackoffMin: time.Hour, BackoffMax: time.Minute})
	require.ErrorIs(t, err, ErrInvalidConfig)
	_, err = New(Config{Store: memory.New()})
	require.NoError(t, err)
}

func TestRun_ReturnsAfterAllGoroutinesExit(t *testing.T) {
	defer goleak.VerifyNone(t, leakOptions()...)
	m, err := New(Config{Store: memory.New(), Workers: 3})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	require.NoError(t, m.Apply(context.Background(), testrig.CAIssuer("default", "x", "y")))
	cancel()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
}

// A re-list (after a broken watch) delivers no change one by one, so every
// waiter is woken to look again: WaitReady on a Certificate that turned
// Ready while the watch was down, and is never written again, must not
// wait for ever.
func TestResync_WakesEveryWaiter(t *testing.T) {
	m, err := New(Config{Store: memory.New()})
	require.NoError(t, err)
	ch, stop := m.changes.subscribe(meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "unchanged"})
	defer stop()
	_, err = m.resync(context.Background())
	require.NoError(t, err)
	select {
	case <-ch:
	default:
		t.Fatal("a waiter was not woken by the re-list")
	}
}
