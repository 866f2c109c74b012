package certificate

import (
	"crypto"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
)

// TestReconcile_KeysItStoredAreNotParsedBack: the key a visit generates is
// the one it signs the CSR with and the one later visits find in the
// next-key Secret and then in the Certificate's Secret; none of them
// parses it back from PEM (an ECDSA parse recomputes the public key, the
// costliest step of a decision). A renewal with a new key does the same
// but for the Secret's current key, parsed once: the memo forgot it when
// the Certificate came to rest (rest.go).
func TestReconcile_KeysItStoredAreNotParsedBack(t *testing.T) {
	h := depsForTest(t)
	c := harnessCert("web", "web-tls", "a.example.test")
	h.create(c)
	h.settleUntil(6, meta.RefOf(c), func(c *Certificate) bool { return revision(c) == 1 && atRest(c) })
	got := h.get(meta.RefOf(c))
	require.True(t, got.Status.Conditions.IsTrue(meta.ConditionReady))
	require.Equal(t, 1, h.issued)
	assert.Zero(t, h.r.parse.keys.parsed.Load(), "keys parsed during an issuance")

	sec := &secret.Secret{}
	require.NoError(t, h.st.Get(h.ctx, meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "web-tls"}, sec))
	served, err := h.r.parse.key(sec)
	require.NoError(t, err)
	fromPEM, err := pki.ParsePrivateKey(sec.Data[secret.TLSKeyKey])
	require.NoError(t, err)
	assert.True(t, fromPEM.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(served.Public()), "the remembered key is the stored one")

	h.r.parse.keys.forget(meta.RefOf(sec)) // as the Certificate at rest left it
	h.r.parse.keys.parsed.Store(0)
	h.clock.Set(*got.Status.RenewalTime)
	h.settleUntil(6, meta.RefOf(c), func(c *Certificate) bool { return revision(c) == 2 && atRest(c) })
	require.Equal(t, 2, h.issued)
	assert.EqualValues(t, 1, h.r.parse.keys.parsed.Load(), "keys parsed during a renewal: the current one, once")
}

// Every CSR the reconciler signs is told to the CSR memo it shares with the
// request reconciler, which then takes its signature as good.
func TestReconcile_CSRsItSignsAreToldToTheMemo(t *testing.T) {
	h := depsForTest(t)
	csrs := &pki.CSRMemo{}
	h.r = NewReconciler(h.deps, Options{CSRs: csrs})
	c := harnessCert("web", "web-tls", "a.example.test")
	h.create(c)
	h.settleUntil(6, meta.RefOf(c), func(c *Certificate) bool { return c.Status.NextPrivateKeySecretName != "" })
	req := &request.CertificateRequest{}
	require.NoError(t, h.st.Get(h.ctx, meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "ns", Name: "web-1"}, req))
	_, err := csrs.ParseVerified(req.Spec.Request)
	require.NoError(t, err)
	_, verified := csrs.Counts()
	assert.Zero(t, verified, "made here: not verified")
}

// TestReconcile_KeysAreEncodedOnceAnIssuance: an issuance encodes its key
// for the Certificate's Secret once, although it decides on that Secret
// twice (writing it, then finding it up to date) and looks for the key in
// what it stored; the next key's PKCS#8 form, encoded when it was made,
// is not encoded again. Each form is what encoding anew makes.
func TestReconcile_KeysAreEncodedOnceAnIssuance(t *testing.T) {
	for _, enc := range []KeyEncoding{PKCS1, PKCS8} {
		t.Run(string(enc), func(t *testing.T) {
			h := depsForTest(t)
			c := harnessCert("web", "web-tls", "a.example.test")
			c.Spec.PrivateKey = &PrivateKey{Algorithm: ECDSA, Size: 256, Encoding: enc}
			h.create(c)
			h.settle(6, meta.RefOf(c))
			require.True(t, h.get(meta.RefOf(c)).Status.Conditions.IsTrue(meta.ConditionReady))
			require.Equal(t, 1, h.issued)
			want := int64(1)
			if enc == PKCS8 {
				want = 0 // the next key's own form
			}
			assert.Equal(t, want, h.r.parse.pems.encoded.Load(), "keys encoded during an issuance")

			sec := &secret.Secret{}
			require.NoError(t, h.st.Get(h.ctx, meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "web-tls"}, sec))
			key, err := h.r.parse.key(sec)
			require.NoError(t, err)
			again, err := pki.EncodePrivateKey(key, enc == PKCS8)
			require.NoError(t, err)
			assert.Equal(t, string(again), string(sec.Data[secret.TLSKeyKey]), "the stored key is the key encoded in the spec's form")
		})
	}
}

// Once an issuance is over and its Certificate at rest, the reconciler's
// memos and those it shares hold nothing of it: they are for the
// issuances in flight, and a burst of issuances kept them full of finished
// ones (the peak live heap a burst leaves its spans at, docs/memory.md).
func TestReconcile_MemosForgetAnIssuanceAtRest(t *testing.T) {
	h := depsForTest(t)
	csrs, chains := &pki.CSRMemo{}, &pki.ChainMemo{}
	h.r = NewReconciler(h.deps, Options{CSRs: csrs, Chains: chains})
	c := harnessCert("web", "web-tls", "a.example.test")
	h.create(c)
	held := func() int {
		p := h.r.parse
		return len(p.keys.m) + len(p.csrs.m) + len(p.pems.m) + csrs.Len() + chains.Len()
	}
	var inFlight int
	h.settleUntil(6, meta.RefOf(c), func(c *Certificate) bool {
		inFlight = max(inFlight, held())
		return revision(c) == 1 && atRest(c)
	})
	require.True(t, h.get(meta.RefOf(c)).Status.Conditions.IsTrue(meta.ConditionReady))
	assert.Positive(t, inFlight, "the memos served the issuance")
	p := h.r.parse
	assert.Empty(t, p.keys.m, "parsed keys")
	assert.Empty(t, p.csrs.m, "parsed CSRs")
	assert.Empty(t, p.pems.m, "key encodings")
	assert.Zero(t, csrs.Len(), "shared CSR memo")
	assert.Zero(t, chains.Len(), "shared chain memo")
}

// A visit that finds a Certificate at rest and changes nothing (every
// Certificate's at a Manager's start) parses its Secret and request for
// that decision alone: the memos hold nothing of it afterwards either.
func TestReconcile_MemosForgetWhatAVisitAtRestParsed(t *testing.T) {
	h := depsForTest(t)
	csrs, chains := &pki.CSRMemo{}, &pki.ChainMemo{}
	h.r = NewReconciler(h.deps, Options{CSRs: csrs, Chains: chains})
	c := harnessCert("web", "web-tls", "a.example.test")
	h.create(c)
	h.settleUntil(6, meta.RefOf(c), func(c *Certificate) bool { return revision(c) == 1 && atRest(c) })
	parsed := h.r.parse.keys.parsed.Load()
	h.settle(1, meta.RefOf(c))
	require.Greater(t, h.r.parse.keys.parsed.Load(), parsed, "the visit at rest parsed the Secret's key")
	p := h.r.parse
	assert.Empty(t, p.keys.m, "parsed keys")
	assert.Empty(t, p.csrs.m, "parsed CSRs")
	assert.Empty(t, p.pems.m, "key encodings")
	assert.Zero(t, csrs.Len(), "shared CSR memo")
	assert.Zero(t, chains.Len(), "shared chain memo")
}
