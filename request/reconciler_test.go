package request_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509/pkix"
	"log/slog"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

type nopRecorder struct{}

func (nopRecorder) Event(meta.Ref, meta.EventType, meta.Reason, string) {}

type fixture struct {
	ctx  context.Context
	deps reconcile.Deps
	r    *request.Reconciler
	key  *ecdsa.PrivateKey
}

func newFixture(t *testing.T, approver request.Approver) *fixture {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	deps := reconcile.Deps{Store: memory.New(memory.WithClock(clk)), Clock: clk, Events: nopRecorder{}, Log: slog.New(slog.DiscardHandler)}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return &fixture{
		ctx:  context.Background(),
		deps: deps,
		r:    request.NewReconciler(deps, request.Options{Approver: approver, Signer: issuer.NewSigner(deps)}),
		key:  key,
	}
}

// readyIssuer stores an issuer of the given spec, already marked Ready.
func (f *fixture) readyIssuer(t *testing.T, name string, spec issuer.Spec) {
	t.Helper()
	iss := &issuer.Issuer{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: name}, Spec: spec}
	iss.Status.Conditions.Set(meta.Condition{Type: meta.ConditionReady, Status: meta.ConditionTrue, Reason: issuer.ReasonIsReady})
	require.NoError(t, f.deps.Store.Create(f.ctx, iss))
}

func (f *fixture) request(t *testing.T, name, issuerName string, tmpl pki.CSRTemplate) meta.Ref {
	t.Helper()
	csr, err := pki.CreateCSR(f.key, tmpl)
	require.NoError(t, err)
	keyPEM, err := pki.EncodePrivateKey(f.key, true)
	require.NoError(t, err)
	require.NoError(t, f.deps.Store.Create(f.ctx, &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: name + "-key"},
		Data: map[string][]byte{secret.TLSKeyKey: keyPEM}}))
	req := &request.CertificateRequest{
		ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: name,
			Annotations: map[string]string{request.AnnotationPrivateKeyName: name + "-key"}},
		Spec: request.Spec{Request: csr, IssuerRef: meta.IssuerRef{Name: issuerName}},
	}
	require.NoError(t, f.deps.Store.Create(f.ctx, req))
	return meta.RefOf(req)
}

// reconcile visits ref as the Manager would: again at once while the
// reconciler asks for that (after an effect), at most a few times.
func (f *fixture) reconcile(t *testing.T, ref meta.Ref) *request.CertificateRequest {
	t.Helper()
	for range 5 {
		next, err := f.r.Reconcile(f.ctx, ref)
		require.NoError(t, err)
		if !next.Equal(f.deps.Clock.Now()) {
			break
		}
	}
	got := &request.CertificateRequest{}
	require.NoError(t, f.deps.Store.Get(f.ctx, ref, got))
	return got
}

func readyReason(r *request.CertificateRequest) meta.Reason {
	if c := r.Status.Conditions.Get(meta.ConditionReady); c != nil {
		return c.Reason
	}
	return ""
}

func TestReconcile_SelfSignedIssues(t *testing.T) {
	f := newFixture(t, nil)
	f.readyIssuer(t, "self", issuer.Spec{SelfSigned: &issuer.SelfSignedIssuer{}})
	got := f.reconcile(t, f.request(t, "r", "self", pki.CSRTemplate{DNSNames: []string{"a.example.test"}}))
	assert.Equal(t, request.ReasonIssued, readyReason(got))
	assert.True(t, got.Status.Conditions.IsTrue(meta.ConditionApproved))
	chain, err := pki.ParseChain(got.Status.Certificate)
	require.NoError(t, err)
	assert.Equal(t, []string{"a.example.test"}, chain[0].DNSNames)
	assert.True(t, request.IsFinal(got))
}

func TestReconcile_DeniedIsFinal(t *testing.T) {
	deny := request.ApproverFunc(func(context.Context, *request.CertificateRequest) (request.Decision, error) {
		return request.Decision{Reason: "not on the list"}, nil
	})
	f := newFixture(t, deny)
	f.readyIssuer(t, "self", issuer.Spec{SelfSigned: &issuer.SelfSignedIssuer{}})
	got := f.reconcile(t, f.request(t, "r", "self", pki.CSRTemplate{DNSNames: []string{"a.example.test"}}))
	assert.Equal(t, request.ReasonDenied, readyReason(got))
	assert.True(t, got.Status.Conditions.IsTrue(meta.ConditionDenied))
	require.NotNil(t, got.Status.FailureTime)
	assert.Empty(t, got.Status.Certificate)
	assert.True(t, request.IsFinal(got))
}

func TestReconcile_IssuerMissingOrNotReadyWaits(t *testing.T) {
	f := newFixture(t, nil)
	got := f.reconcile(t, f.request(t, "r", "absent", pki.CSRTemplate{DNSNames: []string{"a.example.test"}}))
	assert.Equal(t, request.ReasonIssuerNotReady, readyReason(got))
	assert.Contains(t, got.Status.Conditions.Get(meta.ConditionReady).Message, `"absent" not found`)
	assert.False(t, request.IsFinal(got))

	iss := &issuer.Issuer{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "slow"}, Spec: issuer.Spec{SelfSigned: &issuer.SelfSignedIssuer{}}}
	iss.Status.Conditions.Set(meta.Condition{Type: meta.ConditionReady, Status: meta.ConditionFalse, Reason: "Checking", Message: "still looking"})
	require.NoError(t, f.deps.Store.Create(f.ctx, iss))
	got = f.reconcile(t, f.request(t, "r2", "slow", pki.CSRTemplate{DNSNames: []string{"a.example.test"}}))
	assert.Equal(t, request.ReasonIssuerNotReady, readyReason(got))
	assert.Contains(t, got.Status.Conditions.Get(meta.ConditionReady).Message, "still looking")
}

func TestReconcile_BrokenCSRFailsTerminally(t *testing.T) {
	f := newFixture(t, nil)
	f.readyIssuer(t, "self", issuer.Spec{SelfSigned: &issuer.SelfSignedIssuer{}})
	req := &request.CertificateRequest{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "broken"},
		Spec: request.Spec{Request: []byte("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"),
			IssuerRef: meta.IssuerRef{Name: "self"}}}
	require.NoError(t, f.deps.Store.Create(f.ctx, req))
	got := f.reconcile(t, meta.RefOf(req))
	assert.True(t, got.Status.Conditions.IsTrue(meta.ConditionInvalidRequest))
	assert.Equal(t, request.ReasonFailed, readyReason(got))
	assert.True(t, request.IsFinal(got))
}

func TestReconcile_ACMECreatesOneOrderAndMirrorsIt(t *testing.T) {
	f := newFixture(t, nil)
	f.readyIssuer(t, "le", issuer.Spec{ACME: &issuer.ACMEIssuer{Server: "https://acme.example.test/dir", Profile: "short",
		PrivateKeySecretRef: meta.LocalRef{Name: "acct"}}})
	ref := f.request(t, "r", "le", pki.CSRTemplate{Subject: pkix.Name{CommonName: "a.example.test"},
		DNSNames: []string{"a.example.test"}, IPAddresses: []net.IP{net.ParseIP("192.0.2.7")}})
	got := f.reconcile(t, ref)
	assert.Equal(t, request.ReasonOrderCreated, readyReason(got))

	orders, err := store.ListOf[order.Order](f.ctx, f.deps.Store, store.ListOptions{Kind: meta.KindOrder, Namespace: "ns"})
	require.NoError(t, err)
	require.Len(t, orders, 1)
	o := orders[0]
	assert.Equal(t, []string{"a.example.test"}, o.Spec.DNSNames)
	assert.Equal(t, []string{"192.0.2.7"}, o.Spec.IPAddresses)
	assert.Equal(t, "short", o.Spec.Profile)
	assert.True(t, o.ObjectMeta.IsOwnedBy(ref))

	f.reconcile(t, ref) // a second visit finds the same Order
	orders, err = store.ListOf[order.Order](f.ctx, f.deps.Store, store.ListOptions{Kind: meta.KindOrder, Namespace: "ns"})
	require.NoError(t, err)
	require.Len(t, orders, 1, "no twin order")

	o.Status.State, o.Status.Reason = order.StateInvalid, "authorization a.example.test: unauthorized"
	require.NoError(t, f.deps.Store.Update(f.ctx, o))
	got = f.reconcile(t, ref)
	assert.Equal(t, request.ReasonFailed, readyReason(got))
	assert.Contains(t, got.Status.Conditions.Get(meta.ConditionReady).Message, "unauthorized")
}

func TestReconcile_ACMERefusesURISANs(t *testing.T) {
	f := newFixture(t, nil)
	f.readyIssuer(t, "le", issuer.Spec{ACME: &issuer.ACMEIssuer{Server: "https://acme.example.test/dir", PrivateKeySecretRef: meta.LocalRef{Name: "acct"}}})
	u, _ := url.Parse("spiffe://example.test/web")
	got := f.reconcile(t, f.request(t, "r", "le", pki.CSRTemplate{DNSNames: []string{"a.example.test"}, URIs: []*url.URL{u}}))
	assert.Equal(t, request.ReasonFailed, readyReason(got))
	assert.Contains(t, got.Status.Conditions.Get(meta.ConditionReady).Message, "URI or email")
}

func TestReconcile_ACMECommonNameOutsideSANsFailsBeforeAnyOrder(t *testing.T) {
	f := newFixture(t, nil)
	f.readyIssuer(t, "le", issuer.Spec{ACME: &issuer.ACMEIssuer{Server: "https://acme.example.test/dir", PrivateKeySecretRef: meta.LocalRef{Name: "acct"}}})
	got := f.reconcile(t, f.request(t, "r", "le", pki.CSRTemplate{Subject: pkix.Name{CommonName: "cn.example.test"},
		DNSNames: []string{"a.example.test"}}))
	assert.Equal(t, request.ReasonFailed, readyReason(got))
	assert.Contains(t, got.Status.Conditions.Get(meta.ConditionReady).Message, "ACME requires that the value is also present in the list of dnsNames or ipAddresses")
	assert.True(t, request.IsFinal(got))
	orders, err := store.ListOf[order.Order](f.ctx, f.deps.Store, store.ListOptions{Kind: meta.KindOrder, Namespace: "ns"})
	require.NoError(t, err)
	assert.Empty(t, orders, "no Order for a CSR the CA cannot issue")
}

func TestReconcile_ACMEOrderIdentifiersAreTheCSRsSANs(t *testing.T) {
	f := newFixture(t, nil)
	f.readyIssuer(t, "le", issuer.Spec{ACME: &issuer.ACMEIssuer{Server: "https://acme.example.test/dir", PrivateKeySecretRef: meta.LocalRef{Name: "acct"}}})
	f.reconcile(t, f.request(t, "r", "le", pki.CSRTemplate{Subject: pkix.Name{CommonName: "WWW.example.test"},
		DNSNames: []string{"www.example.test", "A.example.test", "a.example.test."}}))
	orders, err := store.ListOf[order.Order](f.ctx, f.deps.Store, store.ListOptions{Kind: meta.KindOrder, Namespace: "ns"})
	require.NoError(t, err)
	require.Len(t, orders, 1)
	assert.Equal(t, []string{"a.example.test", "www.example.test"}, orders[0].Spec.DNSNames)
	assert.Equal(t, "www.example.test", orders[0].Spec.CommonName, "the CN names one of the identifiers")
}

func TestReconcile_ACMELeafForAnotherKeyIsNotIssued(t *testing.T) {
	f := newFixture(t, nil)
	f.readyIssuer(t, "le", issuer.Spec{ACME: &issuer.ACMEIssuer{Server: "https://acme.example.test/dir", PrivateKeySecretRef: meta.LocalRef{Name: "acct"}}})
	ref := f.request(t, "r", "le", pki.CSRTemplate{DNSNames: []string{"a.example.test"}})
	f.reconcile(t, ref)
	orders, err := store.ListOf[order.Order](f.ctx, f.deps.Store, store.ListOptions{Kind: meta.KindOrder, Namespace: "ns"})
	require.NoError(t, err)
	require.Len(t, orders, 1)

	// The CA hands back a leaf for someone else's key.
	otherKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	otherCSR, err := pki.CreateCSR(otherKey, pki.CSRTemplate{DNSNames: []string{"a.example.test"}})
	require.NoError(t, err)
	parsed, err := pki.ParseCSR(otherCSR)
	require.NoError(t, err)
	now := f.deps.Clock.Now()
	tmpl, err := pki.TemplateFromCSR(parsed, pki.LeafTemplate{NotBefore: now, NotAfter: now.Add(time.Hour)})
	require.NoError(t, err)
	der, err := pki.SignCertificate(tmpl, otherKey.Public(), tmpl, otherKey)
	require.NoError(t, err)
	o := orders[0]
	o.Status.State, o.Status.Certificate = order.StateValid, pki.EncodeDER(der)
	require.NoError(t, f.deps.Store.Update(f.ctx, o))

	got := f.reconcile(t, ref)
	c := got.Status.Conditions.Get(meta.ConditionReady)
	require.NotNil(t, c)
	assert.Equal(t, meta.ConditionFalse, c.Status, "never Ready (Issued)")
	assert.Equal(t, request.ReasonFailed, c.Reason)
	assert.Contains(t, c.Message, "public key is not the CSR's public key")
	assert.Empty(t, got.Status.Certificate)
	assert.True(t, request.IsFinal(got))
}

func TestReconcile_SelfSignedApprovedAndSignedInOneVisit(t *testing.T) {
	f := newFixture(t, nil)
	f.readyIssuer(t, "self", issuer.Spec{SelfSigned: &issuer.SelfSignedIssuer{}})
	ref := f.request(t, "r", "self", pki.CSRTemplate{DNSNames: []string{"a.example.test"}})
	_, err := f.r.Reconcile(f.ctx, ref)
	require.NoError(t, err)
	got := &request.CertificateRequest{}
	require.NoError(t, f.deps.Store.Get(f.ctx, ref, got))
	assert.Equal(t, request.ReasonIssued, readyReason(got), "approval and signature take one visit, one write")
	assert.True(t, got.Status.Conditions.IsTrue(meta.ConditionApproved))
}

func TestReconcile_InvalidRequestFailsBeforeApproval(t *testing.T) {
	asked := false
	f := newFixture(t, request.ApproverFunc(func(context.Context, *request.CertificateRequest) (request.Decision, error) {
		asked = true
		return request.Decision{Approved: true}, nil
	}))
	f.readyIssuer(t, "self", issuer.Spec{SelfSigned: &issuer.SelfSignedIssuer{}})
	ref := f.request(t, "r", "self", pki.CSRTemplate{DNSNames: []string{"a.example.test"}})
	req := &request.CertificateRequest{}
	require.NoError(t, f.deps.Store.Get(f.ctx, ref, req))
	req.Spec.Usages = []string{"serverAuth"} // not a cert-manager usage name
	require.NoError(t, f.deps.Store.Update(f.ctx, req))
	got := f.reconcile(t, ref)
	assert.True(t, got.Status.Conditions.IsTrue(meta.ConditionInvalidRequest))
	assert.Equal(t, request.ReasonFailed, readyReason(got))
	assert.Contains(t, got.Status.Conditions.Get(meta.ConditionReady).Message, "spec.usages")
	assert.False(t, asked, "an invalid request is not put to the approver")
}

// TestReconcile_MirrorWriteIsDecidedOnInTheSameVisit: a request that
// mirrors a step of its Order writes once and decides again on what it
// wrote, in the same visit: that decision (nothing to do until the Order
// moves) is on the stored version, so the Manager needs no visit for the
// request's own write. So does the visit that approves a request and
// creates its Order.
func TestReconcile_MirrorWriteIsDecidedOnInTheSameVisit(t *testing.T) {
	f := newFixture(t, nil)
	type decided struct {
		rv    string
		write bool
	}
	var seen []decided
	f.deps.Observer = func(_ meta.Kind, _ any, p *reconcile.Plan) func(time.Time, error) {
		seen = append(seen, decided{p.Object.GetMeta().ResourceVersion, p.Write})
		return nil
	}
	f.r = request.NewReconciler(f.deps, request.Options{Signer: issuer.NewSigner(f.deps)})
	f.readyIssuer(t, "le", issuer.Spec{ACME: &issuer.ACMEIssuer{Server: "https://acme.example.test/dir",
		PrivateKeySecretRef: meta.LocalRef{Name: "acct"}}})
	ref := f.request(t, "r", "le", pki.CSRTemplate{DNSNames: []string{"a.example.test"}})
	next, err := f.r.Reconcile(f.ctx, ref)
	require.NoError(t, err)
	assert.True(t, next.IsZero(), "decided on all it wrote: no look again at once (%v), the Order's changes wake it", next)
	got := &request.CertificateRequest{}
	require.NoError(t, f.deps.Store.Get(f.ctx, ref, got))
	require.Equal(t, request.ReasonOrderCreated, readyReason(got))
	assert.True(t, got.Status.Conditions.IsTrue(meta.ConditionApproved))
	require.Len(t, seen, 3, "approve, create the Order, then a decision on what it wrote: all in one visit")
	assert.Equal(t, decided{rv: got.ObjectMeta.ResourceVersion, write: false}, seen[2], "decided on the stored version: nothing to do until the Order moves")

	orders, err := store.ListOf[order.Order](f.ctx, f.deps.Store, store.ListOptions{Kind: meta.KindOrder, Namespace: "ns"})
	require.NoError(t, err)
	require.Len(t, orders, 1)
	o := orders[0]
	o.Status.State = order.StatePending
	require.NoError(t, f.deps.Store.Update(f.ctx, o))
	seen = nil
	_, err = f.r.Reconcile(f.ctx, ref)
	require.NoError(t, err)
	got = &request.CertificateRequest{}
	require.NoError(t, f.deps.Store.Get(f.ctx, ref, got))
	assert.Contains(t, got.Status.Conditions.Get(meta.ConditionReady).Message, `"pending"`, "the Order's step is mirrored")
	require.Len(t, seen, 2, "the mirror write, then a decision on what it wrote")
	assert.True(t, seen[0].write)
	assert.Equal(t, decided{rv: got.ObjectMeta.ResourceVersion, write: false}, seen[1], "decided on the stored version: nothing to do")
}

// A CSR the Manager's certificate reconciler made (told to the CSR memo
// the reconcilers share) is neither verified nor parsed again by its
// request's visits: approval, its Order's creation, mirroring the Order.
// One it did not make is verified, once.
func TestReconcile_CSRsParsedOnceAndOwnNotVerified(t *testing.T) {
	for _, made := range []bool{true, false} {
		f := newFixture(t, nil)
		csrs := &pki.CSRMemo{}
		f.r = request.NewReconciler(f.deps, request.Options{Signer: issuer.NewSigner(f.deps), CSRs: csrs})
		f.readyIssuer(t, "le", issuer.Spec{ACME: &issuer.ACMEIssuer{Server: "https://acme.example.test/dir",
			PrivateKeySecretRef: meta.LocalRef{Name: "acct"}}})
		ref := f.request(t, "r", "le", pki.CSRTemplate{DNSNames: []string{"a.example.test"}})
		req := &request.CertificateRequest{}
		require.NoError(t, f.deps.Store.Get(f.ctx, ref, req))
		if made {
			csrs.Made(req.Spec.Request)
		}
		got := f.reconcile(t, ref)
		require.Equal(t, request.ReasonOrderCreated, readyReason(got))
		orders, err := store.ListOf[order.Order](f.ctx, f.deps.Store, store.ListOptions{Kind: meta.KindOrder, Namespace: "ns"})
		require.NoError(t, err)
		require.Len(t, orders, 1)
		orders[0].Status.State = order.StatePending
		require.NoError(t, f.deps.Store.Update(f.ctx, orders[0]))
		got = f.reconcile(t, ref)
		require.Contains(t, got.Status.Conditions.Get(meta.ConditionReady).Message, `"pending"`)

		parsed, verified := csrs.Counts()
		assert.EqualValues(t, 1, parsed, "parsed once (made here: %v)", made)
		if made {
			assert.Zero(t, verified, "its own CSR is not verified")
		} else {
			assert.EqualValues(t, 1, verified, "verified once")
		}
	}
}
