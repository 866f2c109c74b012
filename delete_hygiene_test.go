package certflow

import (
	"context"
	"crypto/tls"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

func revokeOnDelete(c *certificate.Certificate) {
	c.ObjectMeta.Annotations = map[string]string{AnnotationRevokeOnDelete: "true"}
}

func (h *acmeHarness) served(name string) bool {
	_, err := h.m.GetCertificate(&tls.ClientHelloInfo{ServerName: name})
	return err == nil
}

// After revoke-on-delete the revoked certificate is no longer served: its
// Secret goes with the Certificate. Without the annotation it stays.
func TestDeleteRevokedStopsServingIt(t *testing.T) {
	h := startACME(t, acmeSetup{})
	keep := h.issueACME("keep", nil)
	gone := h.issueACME("gone", revokeOnDelete)
	h.awaitStore("both served", func() bool { return h.served("keep.example.test") && h.served("gone.example.test") })

	require.NoError(t, h.m.Delete(h.ctx, keep))
	require.NoError(t, h.m.Delete(h.ctx, gone))
	err := h.st.Get(h.ctx, meta.Ref{Kind: meta.KindSecret, Namespace: "default", Name: "gone-tls"}, &secret.Secret{})
	require.ErrorIs(t, err, store.ErrNotFound, "the revoked certificate's Secret is deleted")
	require.NoError(t, h.st.Get(h.ctx, meta.Ref{Kind: meta.KindSecret, Namespace: "default", Name: "keep-tls"}, &secret.Secret{}),
		"without the annotation the Secret is kept, as cert-manager keeps it")
	assert.False(t, h.served("gone.example.test"), "the revoked certificate is no longer served when Delete returns")
	assert.True(t, h.served("keep.example.test"))
}

// A certificate of a CA issuer has no CA to ask: deleting it proceeds.
func TestDeleteRevokeOnDeleteOfANonACMECertificate(t *testing.T) {
	h := startACME(t, acmeSetup{})
	require.NoError(t, h.m.Apply(h.ctx, testrig.CASecret(t, "default", "ca", time.Now())))
	require.NoError(t, h.m.Apply(h.ctx, testrig.CAIssuer("default", "ca", "ca")))
	local := testrig.Certificate("default", "local", "ca", "local.example.test")
	revokeOnDelete(local)
	require.NoError(t, h.m.Apply(h.ctx, local))
	require.NoError(t, h.m.WaitReady(h.ctx, meta.RefOf(local)))

	require.NoError(t, h.m.Delete(h.ctx, meta.RefOf(local)))
	require.ErrorIs(t, h.st.Get(h.ctx, meta.RefOf(local), &certificate.Certificate{}), store.ErrNotFound)
	assert.Equal(t, 0, h.acme.Requests(acmetest.EndpointRevokeCert))
}

// With the account deactivated, revoke-on-delete signs with the
// certificate's own key; without a matching key in the Secret it refuses,
// naming the annotation to remove.
func TestDeleteRevokeOnDeleteWithTheAccountDeactivated(t *testing.T) {
	h := startACME(t, acmeSetup{})
	ok := h.issueACME("ok", revokeOnDelete)
	stuck := h.issueACME("stuck", revokeOnDelete)
	okLeaf, _ := testrig.ReadSecret(t, h.ctx, h.st, "default", "ok-tls")
	stuckLeaf, _ := testrig.ReadSecret(t, h.ctx, h.st, "default", "stuck-tls")
	require.NoError(t, h.m.DeactivateAccount(h.ctx, meta.Ref{Kind: meta.KindIssuer, Namespace: "default", Name: "acme"}))

	require.NoError(t, h.m.Delete(h.ctx, ok))
	rev, revoked := h.acme.Revocation(okLeaf)
	require.True(t, revoked, "signed by the certificate's key")
	assert.Equal(t, int(RevocationCessationOfOperation), rev.Reason)
	require.ErrorIs(t, h.st.Get(h.ctx, ok, &certificate.Certificate{}), store.ErrNotFound)

	replaceSecretKey(t, h, "stuck-tls")
	err := h.m.Delete(h.ctx, stuck)
	require.ErrorIs(t, err, issuer.ErrNotReady)
	require.ErrorIs(t, err, ErrKeyMismatch)
	assert.Contains(t, err.Error(), "remove the annotation "+AnnotationRevokeOnDelete)
	require.NoError(t, h.st.Get(h.ctx, stuck, &certificate.Certificate{}), "kept, to be revoked or deleted on purpose")
	_, revoked = h.acme.Revocation(stuckLeaf)
	assert.False(t, revoked)
}

// failingDeletes is a Store whose deletes of Certificates fail while fail
// is set.
type failingDeletes struct {
	store.Store
	fail atomic.Bool
}

var errDeleteRefused = errors.New("test: delete refused")

func (s *failingDeletes) Delete(ctx context.Context, ref meta.Ref, rv string) error {
	if ref.Kind == meta.KindCertificate && s.fail.Load() {
		return errDeleteRefused
	}
	return s.Store.Delete(ctx, ref, rv)
}

// A Certificate revoked on delete that the Store then fails to delete is
// not left holding its revoked certificate silently: it is renewed, and
// the error says so.
func TestDeleteRevokedButNotDeletedIsRenewed(t *testing.T) {
	st := &failingDeletes{Store: memory.New()}
	h := startACME(t, acmeSetup{store: st})
	ref := h.issueACME("www", revokeOnDelete)
	leaf, _ := testrig.ReadSecret(t, h.ctx, h.st, "default", "www-tls")
	c := &certificate.Certificate{}
	require.NoError(t, h.st.Get(h.ctx, ref, c))

	st.fail.Store(true)
	err := h.m.Delete(h.ctx, ref)
	require.ErrorIs(t, err, errDeleteRefused)
	assert.Contains(t, err.Error(), "revoked")
	_, revoked := h.acme.Revocation(leaf)
	require.True(t, revoked)
	require.NoError(t, h.m.WaitReady(h.ctx, ref, ForRenewal(Renewal{Certificate: ref, Revision: *c.Status.Revision + 1})),
		"the revoked certificate is replaced")
	next, _ := testrig.ReadSecret(t, h.ctx, h.st, "default", "www-tls")
	assert.NotEqual(t, leaf.SerialNumber, next.SerialNumber)
}

// Only the Secret the deleted Certificate issued into is deleted after a
// revocation: one whose certificate-name annotation names another
// Certificate (or none) is someone else's and stays.
func TestDeleteRevokedKeepsASecretItDidNotIssueInto(t *testing.T) {
	h := startACME(t, acmeSetup{})
	ref := meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: "gone"}
	put := func(name, owner string) *secret.Secret {
		s := &secret.Secret{
			TypeMeta: meta.TypeMeta{APIVersion: meta.KindSecret.APIVersion(), Kind: meta.KindSecret},
			ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: name,
				Annotations: map[string]string{secret.AnnotationCertificateName: owner}},
			Type: secret.TypeOpaque, Data: map[string][]byte{"note": []byte(name)}}
		require.NoError(t, h.st.Create(h.ctx, s))
		return s
	}
	foreign, unnamed, own := put("foreign", "other"), put("unnamed", ""), put("own", "gone")

	for _, s := range []*secret.Secret{foreign, unnamed} {
		require.NoError(t, h.m.afterRevokedDelete(h.ctx, ref, s))
		require.NoError(t, h.st.Get(h.ctx, meta.RefOf(s), &secret.Secret{}), "%s is kept", s.ObjectMeta.Name)
	}
	require.NoError(t, h.m.afterRevokedDelete(h.ctx, ref, own))
	require.ErrorIs(t, h.st.Get(h.ctx, meta.RefOf(own), &secret.Secret{}), store.ErrNotFound)
}
