package certificate

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
)

// TestReconcile_FrozenClockIssuesOnce would have caught the loop where one
// Certificate (duration 1h, renewBefore 59m) was issued 35 times while the
// clock stood still: its renewal time fell at or before notBefore.
func TestReconcile_FrozenClockIssuesOnce(t *testing.T) {
	for i := 0; i < 5; i++ {
		name := fmt.Sprintf("short-%d", i)
		t.Run(name, func(t *testing.T) {
			h := depsForTest(t)
			c := harnessCert(name, name+"-tls", name+".example.test")
			c.Spec.Duration = dur(time.Hour)
			c.Spec.RenewBefore = dur(59 * time.Minute)
			h.create(c)
			h.settle(20, meta.RefOf(c))
			got := h.get(meta.RefOf(c))
			assert.Equal(t, 1, h.issued, "issuances at a frozen clock")
			assert.True(t, got.Status.Conditions.IsTrue(meta.ConditionReady))
			require.NotNil(t, got.Status.RenewalTime)
			assert.True(t, got.Status.RenewalTime.After(*got.Status.NotBefore), "renewal %s after notBefore %s", got.Status.RenewalTime, got.Status.NotBefore)

			h.clock.Set(*got.Status.RenewalTime)
			h.settle(10, meta.RefOf(c))
			assert.Equal(t, 2, h.issued, "renewed once at its renewal time")
		})
	}
}

// TestReconcile_ReorderedOrRecasedDNSNamesDoNotReissue: the spec is compared
// with the request as a set, DNS names without case.
func TestReconcile_ReorderedOrRecasedDNSNamesDoNotReissue(t *testing.T) {
	h := depsForTest(t)
	c := harnessCert("web", "web-tls", "a.example.test", "b.example.test", "c.example.test")
	h.create(c)
	ref := meta.RefOf(c)
	h.settle(10, ref)
	require.Equal(t, 1, h.issued)

	got := h.get(ref)
	got.Spec.DNSNames = []string{"C.example.test", "a.example.test", "B.EXAMPLE.TEST"}
	got.ObjectMeta.Generation++
	require.NoError(t, h.st.Update(h.ctx, got))
	h.settle(10, ref)
	assert.Equal(t, 1, h.issued, "no re-issuance for reordered and re-cased names")
	assert.True(t, h.get(ref).Status.Conditions.IsTrue(meta.ConditionReady))

	got = h.get(ref)
	got.Spec.DNSNames = append(got.Spec.DNSNames, "d.example.test")
	got.ObjectMeta.Generation++
	require.NoError(t, h.st.Update(h.ctx, got))
	h.settle(10, ref)
	assert.Equal(t, 2, h.issued, "a new name re-issues")
}

// TestReconcile_CADroppingCommonNameIsReady: Pebble's default profile and
// Let's Encrypt's tlsserver/shortlived profiles leave the commonName out of
// the leaf; the name is still in the SANs, so the leaf matches.
func TestReconcile_CADroppingCommonNameIsReady(t *testing.T) {
	h := depsForTest(t)
	h.dropCN = true
	c := harnessCert("web", "web-tls", "www.example.test", "example.test")
	c.Spec.CommonName = "www.example.test"
	h.create(c)
	ref := meta.RefOf(c)
	h.settle(10, ref)
	got := h.get(ref)
	assert.True(t, got.Status.Conditions.IsTrue(meta.ConditionReady), "%+v", got.Status.Conditions)
	assert.Equal(t, 1, h.issued)
	assert.Nil(t, got.Status.FailedIssuanceAttempts)
}

// TestReconcile_AdoptsCertManagerSecret: a Secret written by cert-manager for
// the same spec (its annotations, no certflow spec hash) is kept as is.
func TestReconcile_AdoptsCertManagerSecret(t *testing.T) {
	h := depsForTest(t)
	c := harnessCert("web", "web-tls", "a.example.test", "b.example.test")
	c.Spec.CommonName = "a.example.test"
	key := testKey(t, "adopt-ec", "ECDSA", 256)
	leaf := pki_leaf(t, h, key, "a.example.test", []string{"b.example.test", "a.example.test"})
	h.create(&secret.Secret{
		ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "web-tls", Annotations: map[string]string{
			secret.AnnotationCertificateName: "web",
			secret.AnnotationIssuerName:      "ca",
			secret.AnnotationIssuerKind:      "Issuer",
			AnnotationIssuerGroup:            "cert-manager.io",
			secret.AnnotationCommonName:      "a.example.test",
			secret.AnnotationAltNames:        "b.example.test,a.example.test",
			secret.AnnotationIPSANs:          "",
			secret.AnnotationURISANs:         "",
		}},
		Type: secret.TypeTLS,
		Data: map[string][]byte{secret.TLSCertKey: leaf, secret.TLSKeyKey: pemOf(t, key)},
	})
	h.create(c)
	ref := meta.RefOf(c)
	h.settle(5, ref)
	got := h.get(ref)
	assert.True(t, got.Status.Conditions.IsTrue(meta.ConditionReady), "%+v", got.Status.Conditions)
	assert.Zero(t, h.issued)
	assert.Empty(t, h.requests())
}

// TestReconcile_DuplicateSecretName: two Certificates naming one Secret do
// not fight over it. The older owns it and issues; the other says why it
// does not; both carry the reason.
func TestReconcile_DuplicateSecretName(t *testing.T) {
	h := depsForTest(t)
	a := harnessCert("a", "shared-tls", "a.example.test")
	b := harnessCert("b", "shared-tls", "b.example.test")
	h.create(a)
	h.clock.Advance(time.Second)
	h.create(b)
	h.settle(20, meta.RefOf(b), meta.RefOf(a))
	gotA, gotB := h.get(meta.RefOf(a)), h.get(meta.RefOf(b))
	assert.Equal(t, 1, h.issued, "one issuance, no fight")
	assert.True(t, gotA.Status.Conditions.IsTrue(meta.ConditionReady))
	ready := gotB.Status.Conditions.Get(meta.ConditionReady)
	require.NotNil(t, ready)
	assert.Equal(t, ReasonDuplicateSecretName, ready.Reason)
	assert.Contains(t, ready.Message, `"a"`)
	assert.True(t, h.rec.has(meta.RefOf(a), ReasonDuplicateSecretName), "the owner says it is not alone")

	// The owner goes away: the other takes the Secret over.
	require.NoError(t, h.st.Delete(h.ctx, meta.RefOf(a), ""))
	h.settle(10, meta.RefOf(b))
	assert.True(t, h.get(meta.RefOf(b)).Status.Conditions.IsTrue(meta.ConditionReady))
	assert.Equal(t, 2, h.issued)
}

// TestReconcile_FailureHeadline: when issuance failed, Ready's message
// carries the request's failure (which carries the order's and the CA's
// reason), not "Secret does not exist".
func TestReconcile_FailureHeadline(t *testing.T) {
	h := depsForTest(t)
	h.fail = `order "web-1-123" failed: urn:ietf:params:acme:error:rejectedIdentifier: name is blocked`
	c := harnessCert("web", "web-tls", "web.example.test")
	h.create(c)
	ref := meta.RefOf(c)
	h.settle(10, ref)
	got := h.get(ref)
	require.NotNil(t, got.Status.FailedIssuanceAttempts)
	assert.Equal(t, 1, *got.Status.FailedIssuanceAttempts, "one failure at a frozen clock, then backoff")
	ready := got.Status.Conditions.Get(meta.ConditionReady)
	require.NotNil(t, ready)
	assert.Equal(t, meta.ConditionFalse, ready.Status)
	assert.Contains(t, ready.Message, "rejectedIdentifier: name is blocked")
	assert.Equal(t, ReasonDoesNotExist, ready.Reason)

	h.clock.Advance(time.Hour)
	h.settle(10, ref)
	assert.Equal(t, 2, *h.get(ref).Status.FailedIssuanceAttempts, "retried after cert-manager's first backoff, 1h")
}

// TestReconcile_NextKeyRaceDoesNotPanic: another replica stores the next key
// for another key spec between this one's read and its create. The old
// reconciler dereferenced the nil key it then got; now the stale key is
// deleted and a fitting one made.
func TestReconcile_NextKeyRaceDoesNotPanic(t *testing.T) {
	h := depsForTest(t)
	rs := &raceStore{Store: h.st, key: pemOf(t, testKey(t, "ec-384", "ECDSA", 384))}
	h.deps.Store = rs
	h.r = NewReconciler(h.deps, Options{})
	c := harnessCert("web", "web-tls", "web.example.test")
	h.create(c)
	ref := meta.RefOf(c)
	require.NotPanics(t, func() { h.settle(10, ref) })
	assert.True(t, rs.done, "the race happened")
	assert.True(t, h.get(ref).Status.Conditions.IsTrue(meta.ConditionReady))
	assert.Equal(t, 1, h.issued)
}

// TestReconcile_SecretTemplateAndEncodingRefreshWithoutReissue: what the
// CA does not see (the Secret's labels and annotations, the key's PEM
// encoding) is rewritten in place, as cert-manager's post-issuance checks do.
func TestReconcile_SecretTemplateAndEncodingRefreshWithoutReissue(t *testing.T) {
	h := depsForTest(t)
	c := harnessCert("web", "web-tls", "web.example.test")
	h.create(c)
	ref := meta.RefOf(c)
	h.settle(6, ref)
	require.Equal(t, 1, h.issued)

	got := h.get(ref)
	got.Spec.SecretTemplate = &SecretTemplate{Labels: map[string]string{"team": "web"}, Annotations: map[string]string{"note": "x"}}
	got.Spec.PrivateKey.Encoding = PKCS8
	got.ObjectMeta.Generation++
	require.NoError(t, h.st.Update(h.ctx, got))
	h.settle(6, ref)
	assert.Equal(t, 1, h.issued, "no re-issuance")
	sec := &secret.Secret{}
	require.NoError(t, h.st.Get(h.ctx, meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "web-tls"}, sec))
	assert.Equal(t, "web", sec.ObjectMeta.Labels["team"])
	assert.Equal(t, "x", sec.ObjectMeta.Annotations["note"])
	assert.True(t, keyPKCS8(sec.Data[secret.TLSKeyKey]), "key re-encoded as PKCS#8")
	assert.True(t, h.get(ref).Status.Conditions.IsTrue(meta.ConditionReady))
}
