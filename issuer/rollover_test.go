package issuer

import (
	"crypto"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
)

// replaceAccountKey writes key into the issuer's account key Secret, as a
// user replacing it would.
func (e *env) replaceAccountKey(t *testing.T, key crypto.Signer) {
	t.Helper()
	var s secret.Secret
	require.NoError(t, e.store.Get(testCtx(t), meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "acct"}, &s))
	s.Data = map[string][]byte{secret.TLSKeyKey: keyPEM(t, key)}
	require.NoError(t, e.store.Update(testCtx(t), &s))
}

// accountCopy returns the key in the issuer's copy of its account key.
func (e *env) accountCopy(t *testing.T, ref meta.Ref) crypto.Signer {
	t.Helper()
	var s secret.Secret
	require.NoError(t, e.store.Get(testCtx(t), accountCopyRef(ref, "ns"), &s))
	k, err := pki.ParsePrivateKey(s.Data[secret.TLSKeyKey])
	require.NoError(t, err)
	assert.Equal(t, []meta.Ref{ref}, s.ObjectMeta.OwnerRefs, "the copy goes with its issuer")
	return k
}

func TestACMEKeyChangeRollsOverAccount(t *testing.T) {
	srv := acmetest.NewServer(t)
	e := newEnv(t)
	ref := meta.RefOf(e.putIssuer(t, acmeIssuer(srv, "ops@example.com")))
	r := NewReconciler(e.deps, Options{HTTPClient: srv.Client()})
	_, err := r.Reconcile(testCtx(t), ref)
	require.NoError(t, err)
	before := *e.getIssuer(t, ref).IssuerStatus().ACME
	oldKey, err := pki.ParsePrivateKey(e.accountKey(t, "ns", "acct"))
	require.NoError(t, err)
	assert.Equal(t, accountKeyHash(oldKey), accountKeyHash(e.accountCopy(t, ref)), "the registered key is kept")

	newKey := newKey(t)
	e.replaceAccountKey(t, newKey)
	_, err = r.Reconcile(testCtx(t), ref)
	require.NoError(t, err)

	got := e.getIssuer(t, ref)
	c := readyCond(t, got)
	require.Equal(t, meta.ConditionTrue, c.Status, c.Message)
	after := got.IssuerStatus().ACME
	assert.Equal(t, before.URI, after.URI, "the same account")
	assert.Equal(t, accountKeyHash(newKey), after.LastPrivateKeyHash)
	assert.Equal(t, 1, srv.Requests(acmetest.EndpointKeyChange))
	acct, err := srv.AccountOf(newKey.Public())
	require.NoError(t, err)
	assert.Equal(t, before.URI, acct.URL, "at the CA, the new key is the old account's")
	_, err = srv.AccountOf(oldKey.Public())
	assert.ErrorIs(t, err, acmetest.ErrUnknownAccount, "and the old key is no account's")
	assert.Contains(t, e.events.reasons(), ReasonACMEAccountKeyRolledOver)
	assert.Equal(t, accountKeyHash(newKey), accountKeyHash(e.accountCopy(t, ref)), "the copy follows")

	cl, err := r.Client(testCtx(t), got)
	require.NoError(t, err, "orders get a client with the new key")
	assert.Equal(t, before.URI, string(cl.KID))
}

// TestACMEKeyRolloverRecoversAfterCrash: the CA accepted the rollover but
// the process died before the Store recorded it. The next process finds
// the account with the new key and does not roll over again (the CA would
// refuse: the old key is no account's any more) nor register anew.
func TestACMEKeyRolloverRecoversAfterCrash(t *testing.T) {
	srv := acmetest.NewServer(t)
	e := newEnv(t)
	ref := meta.RefOf(e.putIssuer(t, acmeIssuer(srv, "")))
	r := NewReconciler(e.deps, Options{HTTPClient: srv.Client()})
	_, err := r.Reconcile(testCtx(t), ref)
	require.NoError(t, err)
	uri := e.getIssuer(t, ref).IssuerStatus().ACME.URI
	oldKey, err := pki.ParsePrivateKey(e.accountKey(t, "ns", "acct"))
	require.NoError(t, err)

	// What the dead process got done: the CA's side of the rollover, and
	// the new key in the Secret; the status still names the old key.
	newKey := newKey(t)
	old := &acme.Client{Key: oldKey, KID: acme.KeyID(uri), HTTPClient: srv.Client(), DirectoryURL: srv.DirectoryURL()}
	require.NoError(t, old.AccountKeyRollover(testCtx(t), newKey))
	e.replaceAccountKey(t, newKey)

	restarted := NewReconciler(e.deps, Options{HTTPClient: srv.Client()})
	_, err = restarted.Reconcile(testCtx(t), ref)
	require.NoError(t, err)
	got := e.getIssuer(t, ref)
	c := readyCond(t, got)
	require.Equal(t, meta.ConditionTrue, c.Status, c.Message)
	assert.Equal(t, uri, got.IssuerStatus().ACME.URI, "the same account")
	assert.Equal(t, accountKeyHash(newKey), got.IssuerStatus().ACME.LastPrivateKeyHash)
	assert.Equal(t, 1, srv.Requests(acmetest.EndpointKeyChange), "no second rollover")
	acct, err := srv.AccountOf(newKey.Public())
	require.NoError(t, err)
	assert.Equal(t, uri, acct.URL)
}

// TestACMEKeyChangeWithoutCopyRegistersAgain: an issuer whose registered
// key certflow never copied (registered by an older certflow, or the copy
// deleted) cannot sign a rollover; its new key gets a new account.
func TestACMEKeyChangeWithoutCopyRegistersAgain(t *testing.T) {
	srv := acmetest.NewServer(t)
	e := newEnv(t)
	ref := meta.RefOf(e.putIssuer(t, acmeIssuer(srv, "")))
	r := NewReconciler(e.deps, Options{HTTPClient: srv.Client()})
	_, err := r.Reconcile(testCtx(t), ref)
	require.NoError(t, err)
	uri := e.getIssuer(t, ref).IssuerStatus().ACME.URI
	require.NoError(t, e.store.Delete(testCtx(t), accountCopyRef(ref, "ns"), ""))

	e.replaceAccountKey(t, newKey(t))
	_, err = r.Reconcile(testCtx(t), ref)
	require.NoError(t, err)
	got := e.getIssuer(t, ref)
	require.Equal(t, meta.ConditionTrue, readyCond(t, got).Status)
	assert.NotEqual(t, uri, got.IssuerStatus().ACME.URI)
	assert.Equal(t, 0, srv.Requests(acmetest.EndpointKeyChange))
}

// TestACMEAccountKeyCopyNeverOverwritesAUsersSecret: a Secret of the
// copy's name without certflow's label is someone else's; it is left as
// it is, and the issuer says why it is not Ready.
func TestACMEAccountKeyCopyNeverOverwritesAUsersSecret(t *testing.T) {
	srv := acmetest.NewServer(t)
	e := newEnv(t)
	obj := acmeIssuer(srv, "ops@example.com")
	ref := meta.RefOf(obj)
	cref := accountCopyRef(ref, "ns")
	users := map[string][]byte{"config": []byte("the user's own data")}
	require.NoError(t, e.store.Create(testCtx(t), &secret.Secret{
		TypeMeta:   meta.TypeMeta{APIVersion: meta.KindSecret.APIVersion(), Kind: meta.KindSecret},
		ObjectMeta: meta.ObjectMeta{Namespace: cref.Namespace, Name: cref.Name},
		Type:       secret.TypeOpaque, Data: users}))
	e.putIssuer(t, obj)
	r := NewReconciler(e.deps, Options{HTTPClient: srv.Client()})
	_, err := r.Reconcile(testCtx(t), ref)
	require.NoError(t, err)

	c := readyCond(t, e.getIssuer(t, ref))
	assert.Equal(t, meta.ConditionFalse, c.Status)
	assert.Contains(t, c.Message, cref.Name)
	assert.Contains(t, c.Message, LabelAccountKeyCopy)
	var s secret.Secret
	require.NoError(t, e.store.Get(testCtx(t), cref, &s))
	assert.Equal(t, users, s.Data, "the user's Secret is untouched")
	assert.Empty(t, s.ObjectMeta.Labels)
}
