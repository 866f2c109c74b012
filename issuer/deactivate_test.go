package issuer

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
)

// TestDeactivateAccountRecordsIntentFirst: a deactivation the CA failed to
// answer leaves the issuer not Ready, registering nothing; calling again
// finishes it, and from then on the CA refuses the account.
func TestDeactivateAccountRecordsIntentFirst(t *testing.T) {
	srv := acmetest.NewServer(t)
	e := newEnv(t)
	ref := meta.RefOf(e.putIssuer(t, acmeIssuer(srv, "ops@example.com")))
	r := NewReconciler(e.deps, Options{HTTPClient: srv.Client()})
	_, err := r.Reconcile(testCtx(t), ref)
	require.NoError(t, err)
	uri := e.getIssuer(t, ref).IssuerStatus().ACME.URI
	key, err := pki.ParsePrivateKey(e.accountKey(t, "ns", "acct"))
	require.NoError(t, err)

	require.NoError(t, srv.InjectFault(acmetest.ServerInternal(acmetest.EndpointAccount, srv.Requests(acmetest.EndpointAccount)+1)))
	err = r.DeactivateAccount(testCtx(t), ref)
	var ae *acme.Error
	require.ErrorAs(t, err, &ae, "the CA's failure")
	acct, err := srv.AccountOf(key.Public())
	require.NoError(t, err)
	assert.Equal(t, "valid", acct.Status, "not deactivated yet")

	got := e.getIssuer(t, ref)
	c := readyCond(t, got)
	assert.Equal(t, meta.ConditionFalse, c.Status)
	assert.Equal(t, ReasonACMEAccountDeactivated, c.Reason)
	assert.True(t, got.IssuerStatus().ACME.Deactivated, "the intent is recorded")
	_, err = r.Client(testCtx(t), got)
	assert.ErrorIs(t, err, ErrNotReady, "orders get no client of the account")

	calls := acmeRequests(srv)
	restarted := NewReconciler(e.deps, Options{HTTPClient: srv.Client()})
	next, err := restarted.Reconcile(testCtx(t), ref)
	require.NoError(t, err)
	assert.True(t, next.IsZero(), "no retry: only a new key changes anything")
	assert.Equal(t, calls, acmeRequests(srv), "no registration, no lookup")

	require.NoError(t, restarted.DeactivateAccount(testCtx(t), ref), "called again, it finishes")
	acct, err = srv.AccountOf(key.Public())
	require.NoError(t, err)
	assert.Equal(t, uri, acct.URL)
	assert.Equal(t, "deactivated", acct.Status)
	require.NoError(t, restarted.DeactivateAccount(testCtx(t), ref), "and once more: already done")

	// The CA refuses the account from now on.
	cl := &acme.Client{Key: key, KID: acme.KeyID(uri), HTTPClient: srv.Client(), DirectoryURL: srv.DirectoryURL()}
	_, err = cl.AuthorizeOrder(testCtx(t), acme.DomainIDs("refused.example.test"))
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, acmeproto.ProblemUnauthorized, ae.ProblemType, ae.Detail)
}

func TestDeactivateAccountWithoutAccount(t *testing.T) {
	srv := acmetest.NewServer(t)
	e := newEnv(t)
	ref := meta.RefOf(e.putIssuer(t, acmeIssuer(srv, "")))
	r := NewReconciler(e.deps, Options{HTTPClient: srv.Client()})
	err := r.DeactivateAccount(testCtx(t), ref)
	require.ErrorIs(t, err, ErrNoAccount)
	assert.Nil(t, e.getIssuer(t, ref).IssuerStatus().ACME, "nothing recorded")
	self := e.putIssuer(t, newIssuer("ns", "self", Spec{SelfSigned: &SelfSignedIssuer{}}))
	require.ErrorIs(t, r.DeactivateAccount(testCtx(t), meta.RefOf(self)), ErrNoAccount)
}
