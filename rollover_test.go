package certflow

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// TestAccountKeyChangeRollsOverWhileRunning: replacing the key in a
// running Manager's account Secret wakes the issuer, which rolls the
// account over to it; the account keeps its URL and issues on.
func TestAccountKeyChangeRollsOverWhileRunning(t *testing.T) {
	h := startACME(t, acmeSetup{})
	ref := h.issueACME("www", nil)
	iref := meta.Ref{Kind: meta.KindIssuer, Namespace: "default", Name: "acme"}
	iss := &issuer.Issuer{}
	require.NoError(t, h.st.Get(h.ctx, iref, iss))
	uri := iss.Status.ACME.URI

	key, err := pki.GenerateKey(pki.AlgECDSA, 256)
	require.NoError(t, err)
	pemKey, err := pki.EncodePrivateKey(key, false)
	require.NoError(t, err)
	require.NoError(t, h.m.Apply(h.ctx, &secret.Secret{
		ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "acme-account"},
		Type:       secret.TypeOpaque, Data: map[string][]byte{secret.TLSKeyKey: pemKey}}))

	got := testrig.WaitFor[issuer.Issuer](t, h.ctx, h.st, iref, "the account rolled over to the new key",
		func(i *issuer.Issuer) bool {
			return i.Status.ACME != nil && i.Status.ACME.LastPrivateKeyHash != iss.Status.ACME.LastPrivateKeyHash &&
				i.Status.Conditions.IsTrue(meta.ConditionReady)
		}, nil)
	assert.Equal(t, uri, got.Status.ACME.URI)
	assert.Equal(t, 1, h.acme.Requests(acmetest.EndpointKeyChange))
	acct, err := h.acme.AccountOf(key.Public())
	require.NoError(t, err)
	assert.Equal(t, uri, acct.URL)

	r, err := h.m.Renew(h.ctx, ref)
	require.NoError(t, err)
	require.NoError(t, h.m.WaitReady(h.ctx, ref, ForRenewal(r)), "the rolled-over account issues")
}

// TestAccountKeyCopyGoesWithItsIssuer: the copy of the registered account
// key is owned by the issuer and collected with it; the account key Secret
// itself, the user's, stays.
func TestAccountKeyCopyGoesWithItsIssuer(t *testing.T) {
	h := startACME(t, acmeSetup{})
	h.issueACME("www", nil)
	copyRef := meta.Ref{Kind: meta.KindSecret, Namespace: "default", Name: "certflow-acme-account-issuer-acme"}
	sec := &secret.Secret{}
	require.NoError(t, h.st.Get(h.ctx, copyRef, sec), "the registered key is copied")
	assert.Equal(t, "acme", sec.ObjectMeta.Labels[issuer.LabelAccountKeyCopy])

	require.NoError(t, h.m.Delete(h.ctx, meta.Ref{Kind: meta.KindIssuer, Namespace: "default", Name: "acme"}))
	h.awaitStore("the copy is collected", func() bool {
		return errors.Is(h.st.Get(h.ctx, copyRef, &secret.Secret{}), store.ErrNotFound)
	})
	require.NoError(t, h.st.Get(h.ctx, meta.Ref{Kind: meta.KindSecret, Namespace: "default", Name: "acme-account"}, &secret.Secret{}))
}
