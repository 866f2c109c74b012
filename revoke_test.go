package certflow

import (
	"crypto"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// issueACME applies the harness's ACME Issuer "acme" and a Certificate
// name for name.example.test in "default", and waits until it is issued.
func (h *acmeHarness) issueACME(name string, mutate func(*certificate.Certificate)) meta.Ref {
	h.t.Helper()
	require.NoError(h.t, h.m.Apply(h.ctx, h.acme.Issuer("default", "acme")))
	crt := testrig.ACMECertificate("default", name, "acme", name+".example.test")
	if mutate != nil {
		mutate(crt)
	}
	require.NoError(h.t, h.m.Apply(h.ctx, crt))
	ref := meta.RefOf(crt)
	require.NoError(h.t, h.m.WaitReady(h.ctx, ref))
	return ref
}

func TestRevokeWithAccountKeyRevokesAtTheCAAndReissues(t *testing.T) {
	h := startACME(t, acmeSetup{})
	ref := h.issueACME("www", nil)
	leaf, _ := testrig.ReadSecret(t, h.ctx, h.st, "default", "www-tls")
	_, revoked := h.acme.Revocation(leaf)
	require.False(t, revoked)

	r, err := h.m.Revoke(h.ctx, ref, RevocationKeyCompromise)
	require.NoError(t, err)
	rev, revoked := h.acme.Revocation(leaf)
	require.True(t, revoked, "the CA holds the certificate revoked")
	assert.Equal(t, int(RevocationKeyCompromise), rev.Reason)
	assert.Equal(t, 1, h.acme.Requests(acmetest.EndpointRevokeCert))

	require.NoError(t, h.m.WaitReady(h.ctx, ref, ForRenewal(r)), "the revoked certificate is replaced")
	next, _ := testrig.ReadSecret(t, h.ctx, h.st, "default", "www-tls")
	assert.NotEqual(t, leaf.SerialNumber, next.SerialNumber, "the Secret holds a new certificate")
	_, revoked = h.acme.Revocation(next)
	assert.False(t, revoked)
	evs, err := h.m.Events(h.ctx, ref)
	require.NoError(t, err)
	assert.True(t, slices.ContainsFunc(evs, func(e meta.Event) bool {
		return e.Reason == ReasonRevoked && e.Type == meta.EventWarning
	}), "a Revoked event: %v", evs)

	// Revoked by the CA already: said so, and replaced all the same.
	require.NoError(t, h.acme.Revoke(next))
	r2, err := h.m.Revoke(h.ctx, ref, RevocationSuperseded)
	require.ErrorIs(t, err, ErrAlreadyRevoked)
	assert.Equal(t, r.Revision+1, r2.Revision)
	require.NoError(t, h.m.WaitReady(h.ctx, ref, ForRenewal(r2)))
}

func TestRevokeWithCertificateKeyNeedsNoAccount(t *testing.T) {
	h := startACME(t, acmeSetup{})
	ref := h.issueACME("lost", nil)
	leaf, _ := testrig.ReadSecret(t, h.ctx, h.st, "default", "lost-tls")
	iref := meta.Ref{Kind: meta.KindIssuer, Namespace: "default", Name: "acme"}
	require.NoError(t, h.m.DeactivateAccount(h.ctx, iref))

	_, err := h.m.Revoke(h.ctx, ref, RevocationKeyCompromise)
	require.ErrorIs(t, err, issuer.ErrNotReady, "the account cannot sign any more")
	_, revoked := h.acme.Revocation(leaf)
	require.False(t, revoked)

	_, err = h.m.Revoke(h.ctx, ref, RevocationKeyCompromise, WithCertificateKey())
	require.NoError(t, err)
	rev, revoked := h.acme.Revocation(leaf)
	require.True(t, revoked, "signed by the certificate's key, the CA revoked it")
	assert.Equal(t, int(RevocationKeyCompromise), rev.Reason)
}

func TestRevokeRefusals(t *testing.T) {
	h := startACME(t, acmeSetup{})
	ref := h.issueACME("www", nil)
	leaf, _ := testrig.ReadSecret(t, h.ctx, h.st, "default", "www-tls")

	_, err := h.m.Revoke(h.ctx, ref, RevocationReason(7))
	require.ErrorIs(t, err, ErrBadRevocationReason, "7 is no RFC 5280 reason")

	_, err = h.m.Revoke(h.ctx, meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: "nope"}, RevocationUnspecified)
	require.ErrorIs(t, err, store.ErrNotFound)

	// No Secret yet: nothing to revoke.
	pending := testrig.ACMECertificate("default", "pending", "nobody", "pending.example.test")
	require.NoError(t, h.m.Apply(h.ctx, pending))
	_, err = h.m.Revoke(h.ctx, meta.RefOf(pending), RevocationUnspecified)
	require.ErrorIs(t, err, ErrNoCertificate)

	// A certificate of a CA issuer: no ACME CA to ask.
	require.NoError(t, h.m.Apply(h.ctx, testrig.CASecret(t, "default", "ca", time.Now())))
	require.NoError(t, h.m.Apply(h.ctx, testrig.CAIssuer("default", "ca", "ca")))
	local := testrig.Certificate("default", "local", "ca", "local.example.test")
	require.NoError(t, h.m.Apply(h.ctx, local))
	require.NoError(t, h.m.WaitReady(h.ctx, meta.RefOf(local)))
	_, err = h.m.Revoke(h.ctx, meta.RefOf(local), RevocationUnspecified)
	require.ErrorIs(t, err, ErrNotACME)

	_, revoked := h.acme.Revocation(leaf)
	assert.False(t, revoked, "no refusal revoked anything")
	assert.False(t, errors.Is(err, ErrAlreadyRevoked))
}

func TestDeleteRevokesWhenAnnotated(t *testing.T) {
	h := startACME(t, acmeSetup{})
	keep := h.issueACME("keep", nil)
	gone := h.issueACME("gone", func(c *certificate.Certificate) {
		c.ObjectMeta.Annotations = map[string]string{AnnotationRevokeOnDelete: "true"}
	})
	keepLeaf, _ := testrig.ReadSecret(t, h.ctx, h.st, "default", "keep-tls")
	goneLeaf, _ := testrig.ReadSecret(t, h.ctx, h.st, "default", "gone-tls")

	require.NoError(t, h.m.Delete(h.ctx, keep))
	require.NoError(t, h.m.Delete(h.ctx, gone))
	_, revoked := h.acme.Revocation(keepLeaf)
	assert.False(t, revoked, "without the annotation, deleting revokes nothing")
	rev, revoked := h.acme.Revocation(goneLeaf)
	require.True(t, revoked, "the annotated Certificate's certificate was revoked")
	assert.Equal(t, int(RevocationCessationOfOperation), rev.Reason)
	err := h.st.Get(h.ctx, gone, &certificate.Certificate{})
	assert.ErrorIs(t, err, store.ErrNotFound)
}

func TestDeleteDeactivatesPendingAuthorizations(t *testing.T) {
	// The Manager's HTTP-01 handler is not served: the self-check never
	// passes, so the authorization stays pending.
	h := startACME(t, acmeSetup{httpWrap: func(http.Handler) http.Handler { return http.NotFoundHandler() }})
	require.NoError(t, h.m.Apply(h.ctx, h.acme.Issuer("default", "acme")))
	crt := testrig.ACMECertificate("default", "stalled", "acme", "stalled.example.test")
	require.NoError(t, h.m.Apply(h.ctx, crt))
	h.awaitStore("the Order recorded its pending authorization", func() bool {
		return len(h.m.pendingAuthorizations(h.ctx, meta.RefOf(crt))) == 1
	})
	require.NoError(t, h.m.Delete(h.ctx, meta.RefOf(crt)))
	orders := h.acme.Orders(h.ctx)
	require.Len(t, orders, 1)
	require.Len(t, orders[0].Authorizations, 1)
	assert.Equal(t, "deactivated", orders[0].Authorizations[0].Status)
}

func TestDeactivateAccount(t *testing.T) {
	h := startACME(t, acmeSetup{})
	h.issueACME("www", nil)
	iref := meta.Ref{Kind: meta.KindIssuer, Namespace: "default", Name: "acme"}
	iss := &issuer.Issuer{}
	require.NoError(t, h.st.Get(h.ctx, iref, iss))
	uri := iss.Status.ACME.URI
	newAccounts := h.acme.Requests(acmetest.EndpointNewAccount)

	require.NoError(t, h.m.DeactivateAccount(h.ctx, iref))
	require.NoError(t, h.m.DeactivateAccount(h.ctx, iref), "again: already done")
	evs, err := h.m.Events(h.ctx, iref)
	require.NoError(t, err)
	assert.True(t, slices.ContainsFunc(evs, func(e meta.Event) bool { return e.Reason == issuer.ReasonACMEAccountDeactivated }), "%v", evs)
	key := accountKey(t, h, "acme-account")
	acct, err := h.acme.AccountOf(key.Public())
	require.NoError(t, err)
	assert.Equal(t, uri, acct.URL)
	assert.Equal(t, "deactivated", acct.Status, "the CA holds the account deactivated")

	// The issuer stays not Ready and registers nothing, even for a new
	// generation of its spec.
	changed := h.acme.Issuer("default", "acme")
	changed.Spec.ACME.Email = "other@example.test"
	require.NoError(t, h.m.Apply(h.ctx, changed))
	got := testrig.WaitFor[issuer.Issuer](t, h.ctx, h.st, iref, "the new generation decided",
		func(i *issuer.Issuer) bool {
			c := i.Status.Conditions.Get(meta.ConditionReady)
			return c != nil && c.ObservedGeneration == i.ObjectMeta.Generation && i.ObjectMeta.Generation > 1
		}, nil)
	c := got.Status.Conditions.Get(meta.ConditionReady)
	assert.Equal(t, meta.ConditionFalse, c.Status)
	assert.Equal(t, issuer.ReasonACMEAccountDeactivated, c.Reason)
	assert.Equal(t, newAccounts, h.acme.Requests(acmetest.EndpointNewAccount), "no new account")

	// Deleting the account key asks for a new account.
	require.NoError(t, h.m.Delete(h.ctx, meta.Ref{Kind: meta.KindSecret, Namespace: "default", Name: "acme-account"}))
	got = waitFor2(h, iref)
	assert.NotEqual(t, uri, got.Status.ACME.URI)
	assert.False(t, got.Status.ACME.Deactivated)
}

// waitFor2 waits until the issuer named ref is Ready again.
func waitFor2(h *acmeHarness, ref meta.Ref) *issuer.Issuer {
	h.t.Helper()
	return testrig.WaitFor[issuer.Issuer](h.t, h.ctx, h.st, ref, "issuer Ready again",
		func(i *issuer.Issuer) bool { return i.Status.Conditions.IsTrue(meta.ConditionReady) }, nil)
}

func accountKey(t *testing.T, h *acmeHarness, name string) crypto.Signer {
	t.Helper()
	s := &secret.Secret{}
	require.NoError(t, h.st.Get(h.ctx, meta.Ref{Kind: meta.KindSecret, Namespace: "default", Name: name}, s))
	k, err := pki.ParsePrivateKey(s.Data[secret.TLSKeyKey])
	require.NoError(t, err)
	return k
}
