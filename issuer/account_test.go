package issuer

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/solver"
)

func acmeIssuer(srv *acmetest.Server, email string) *Issuer {
	return newIssuer("ns", "le", Spec{ACME: &ACMEIssuer{
		Server:              srv.DirectoryURL(),
		Email:               email,
		PrivateKeySecretRef: meta.LocalRef{Name: "acct"},
		Solvers:             []solver.Config{{HTTP01: &solver.HTTP01Config{}}},
	}})
}

// acmeRequests counts the requests that touch accounts.
func acmeRequests(srv *acmetest.Server) int {
	return srv.Requests(acmetest.EndpointNewAccount) + srv.Requests(acmetest.EndpointAccount)
}

func (e *env) accountKey(t *testing.T, ns, name string) []byte {
	t.Helper()
	var s secret.Secret
	require.NoError(t, e.store.Get(testCtx(t), meta.Ref{Kind: meta.KindSecret, Namespace: ns, Name: name}, &s))
	return s.Data[secret.TLSKeyKey]
}

func TestACMERegistersAndReusesAccount(t *testing.T) {
	srv := acmetest.NewServer(t)
	e := newEnv(t)
	iss := e.putIssuer(t, acmeIssuer(srv, "ops@example.com"))
	ref := meta.RefOf(iss)
	opts := Options{HTTPClient: srv.Client()}
	r := NewReconciler(e.deps, opts)

	next, err := r.Reconcile(testCtx(t), ref)
	require.NoError(t, err)
	assert.True(t, next.Equal(t0.Add(accountRecheck)), "the account is confirmed again a day later, next=%s", next)
	got := e.getIssuer(t, ref)
	c := readyCond(t, got)
	assert.Equal(t, meta.ConditionTrue, c.Status, c.Message)
	assert.Equal(t, ReasonACMEAccountRegistered, c.Reason)
	st := got.IssuerStatus().ACME
	require.NotNil(t, st)
	assert.True(t, strings.HasPrefix(st.URI, srv.URL()+"/"), "account URI %q is on the CA", st.URI)
	assert.Equal(t, "ops@example.com", st.LastRegisteredEmail)
	assert.NotEmpty(t, st.LastPrivateKeyHash)

	keyPEM := e.accountKey(t, "ns", "acct")
	key, err := pki.ParsePrivateKey(keyPEM)
	require.NoError(t, err, "the account key was created in the Secret")
	ec, ok := key.(*ecdsa.PrivateKey)
	require.True(t, ok, "default account key is ECDSA, got %T", key)
	assert.Equal(t, elliptic.P256(), ec.Curve)
	assert.Equal(t, accountKeyHash(key), st.LastPrivateKeyHash)
	assert.NotContains(t, c.Message, string(keyPEM))
	assert.Equal(t, 1, srv.Requests(acmetest.EndpointNewAccount),
		"a key generated in this visit has no account to look up: one newAccount registers it")
	assert.Equal(t, 1, acmeRequests(srv))

	// The Manager reconciles again after our write: no call to the CA.
	rv, calls := got.GetMeta().ResourceVersion, acmeRequests(srv)
	_, err = r.Reconcile(testCtx(t), ref)
	require.NoError(t, err)
	assert.Equal(t, calls, acmeRequests(srv), "a confirmed account is not asked for again")
	assert.Equal(t, rv, e.getIssuer(t, ref).GetMeta().ResourceVersion, "nothing written")

	// A restarted process confirms the account once, with the same key and URI.
	r2 := NewReconciler(e.deps, opts)
	_, err = r2.Reconcile(testCtx(t), ref)
	require.NoError(t, err)
	got2 := e.getIssuer(t, ref)
	assert.Equal(t, st.URI, got2.IssuerStatus().ACME.URI, "same account")
	assert.Equal(t, keyPEM, e.accountKey(t, "ns", "acct"), "key reused")
	assert.Equal(t, rv, got2.GetMeta().ResourceVersion, "nothing written")
	assert.Equal(t, calls+1, acmeRequests(srv), "one lookup, no new registration")
	assert.Equal(t, []meta.Reason{ReasonACMEAccountRegistered}, e.events.reasons())

	// A day later the account is confirmed with the CA again.
	e.clock.Advance(accountRecheck)
	next, err = r2.Reconcile(testCtx(t), ref)
	require.NoError(t, err)
	assert.Equal(t, calls+2, acmeRequests(srv), "one more lookup")
	assert.True(t, next.Equal(e.clock.Now().Add(accountRecheck)))
	assert.Equal(t, st.URI, e.getIssuer(t, ref).IssuerStatus().ACME.URI)
}

func TestACMEEmailChangeUpdatesAccount(t *testing.T) {
	srv := acmetest.NewServer(t)
	e := newEnv(t)
	iss := e.putIssuer(t, acmeIssuer(srv, "old@example.com"))
	ref := meta.RefOf(iss)
	r := NewReconciler(e.deps, Options{HTTPClient: srv.Client()})
	_, err := r.Reconcile(testCtx(t), ref)
	require.NoError(t, err)
	uri := e.getIssuer(t, ref).IssuerStatus().ACME.URI

	changed := e.getIssuer(t, ref).(*Issuer)
	changed.Spec.ACME.Email = "new@example.com"
	changed.ObjectMeta.Generation++
	require.NoError(t, e.store.Update(testCtx(t), changed))
	before := srv.Requests(acmetest.EndpointAccount)
	_, err = r.Reconcile(testCtx(t), ref)
	require.NoError(t, err)

	got := e.getIssuer(t, ref)
	assert.Equal(t, uri, got.IssuerStatus().ACME.URI, "same account")
	assert.Equal(t, "new@example.com", got.IssuerStatus().ACME.LastRegisteredEmail)
	assert.Equal(t, before+1, srv.Requests(acmetest.EndpointAccount), "one account update")
	assert.Equal(t, changed.ObjectMeta.Generation, readyCond(t, got).ObservedGeneration)

	cl, err := r.Client(testCtx(t), got)
	require.NoError(t, err)
	acct, err := cl.GetReg(testCtx(t), "")
	require.NoError(t, err)
	assert.Equal(t, []string{"mailto:new@example.com"}, acct.Contact, "the CA has the new contact")
}

func TestACMERSAAccountKey(t *testing.T) {
	srv := acmetest.NewServer(t)
	e := newEnv(t)
	iss := acmeIssuer(srv, "")
	iss.Spec.ACME.AccountKeyAlgorithm = AccountKeyRSA
	iss.Spec.ACME.PrivateKeySecretRef.Key = "account.pem"
	e.putIssuer(t, iss)
	_, err := NewReconciler(e.deps, Options{HTTPClient: srv.Client()}).Reconcile(testCtx(t), meta.RefOf(iss))
	require.NoError(t, err)
	assert.True(t, readyCond(t, e.getIssuer(t, meta.RefOf(iss))).Status == meta.ConditionTrue)

	var s secret.Secret
	require.NoError(t, e.store.Get(testCtx(t), meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "acct"}, &s))
	key, err := pki.ParsePrivateKey(s.Data["account.pem"])
	require.NoError(t, err, "the key is stored under privateKeySecretRef.key")
	rk, ok := key.(*rsa.PrivateKey)
	require.True(t, ok, "got %T", key)
	assert.Equal(t, 2048, rk.N.BitLen())
}

func TestACMEKeyGenerationDisabled(t *testing.T) {
	srv := acmetest.NewServer(t)
	e := newEnv(t)
	iss := acmeIssuer(srv, "")
	iss.Spec.ACME.DisableAccountKeyGeneration = true
	e.putIssuer(t, iss)
	next, err := NewReconciler(e.deps, Options{HTTPClient: srv.Client()}).Reconcile(testCtx(t), meta.RefOf(iss))
	require.NoError(t, err)
	c := readyCond(t, e.getIssuer(t, meta.RefOf(iss)))
	assert.Equal(t, meta.ConditionFalse, c.Status)
	assert.Equal(t, ReasonErrRegisterACMEAccount, c.Reason)
	assert.Contains(t, c.Message, "key generation is disabled")
	assert.True(t, next.Equal(t0.Add(minBackoff)), "retried later: the Secret may appear")
	assert.Zero(t, acmeRequests(srv), "the CA is not contacted")
	var s secret.Secret
	assert.Error(t, e.store.Get(testCtx(t), meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "acct"}, &s), "no key created")
}

func TestACMEExternalAccountBinding(t *testing.T) {
	const kid = "kid-1"
	mac := base64.RawURLEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	srv := acmetest.NewServer(t, acmetest.WithEAB(map[string]string{kid: mac}))
	withEAB := func(name, secretName string) *Issuer {
		iss := acmeIssuer(srv, "ops@example.com")
		iss.ObjectMeta.Name = name
		iss.Spec.ACME.PrivateKeySecretRef.Name = name + "-acct"
		if secretName != "" {
			iss.Spec.ACME.ExternalAccountBinding = &ExternalAccountBinding{KeyID: kid,
				KeySecretRef: solver.SecretKeySelector{Name: secretName, Key: "secret"}}
		}
		return iss
	}
	e := newEnv(t)
	e.putSecret(t, "ns", "eab", map[string][]byte{"secret": []byte(mac)})
	e.putSecret(t, "ns", "eab-wrong", map[string][]byte{"secret": []byte(base64.RawURLEncoding.EncodeToString([]byte("wrong-key-wrong-key-wrong-key-xx")))})
	r := NewReconciler(e.deps, Options{HTTPClient: srv.Client()})
	tests := []struct {
		name    string
		iss     *Issuer
		status  meta.ConditionStatus
		message string
	}{
		{"with key", withEAB("good", "eab"), meta.ConditionTrue, msgRegistered},
		{"without EAB", withEAB("none", ""), meta.ConditionFalse, "externalAccountRequired"},
		{"wrong key", withEAB("wrong", "eab-wrong"), meta.ConditionFalse, "Failed to register ACME account"},
		{"missing secret", withEAB("missing", "absent"), meta.ConditionFalse, `EAB key Secret "absent" not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.putIssuer(t, tt.iss)
			ref := meta.RefOf(tt.iss)
			next, err := r.Reconcile(testCtx(t), ref)
			require.NoError(t, err)
			c := readyCond(t, e.getIssuer(t, ref))
			assert.Equal(t, tt.status, c.Status, c.Message)
			assert.Contains(t, c.Message, tt.message)
			assert.NotContains(t, c.Message, mac, "the EAB key never shows")
			if tt.status == meta.ConditionFalse {
				assert.Equal(t, ReasonErrRegisterACMEAccount, c.Reason)
				assert.False(t, next.IsZero(), "retried with backoff")
			}
		})
	}
}

func TestACMERateLimitRespectsRetryAfter(t *testing.T) {
	srv := acmetest.NewServer(t, acmetest.WithFaults(acmetest.RateLimited(acmetest.EndpointNewAccount, 1, 10*time.Minute)))
	e := newEnv(t)
	iss := e.putIssuer(t, acmeIssuer(srv, ""))
	ref := meta.RefOf(iss)
	r := NewReconciler(e.deps, Options{HTTPClient: srv.Client()})

	next, err := r.Reconcile(testCtx(t), ref)
	require.NoError(t, err)
	c := readyCond(t, e.getIssuer(t, ref))
	assert.Equal(t, ReasonErrRegisterACMEAccount, c.Reason)
	assert.Contains(t, c.Message, "rateLimited")
	assert.True(t, next.Equal(t0.Add(10*time.Minute)), "Retry-After wins over the shorter backoff: %s", next)

	// The re-reconcile our status write triggers does not hit the CA again.
	calls := acmeRequests(srv)
	again, err := r.Reconcile(testCtx(t), ref)
	require.NoError(t, err)
	assert.Equal(t, next, again)
	assert.Equal(t, calls, acmeRequests(srv))

	e.clock.Set(next)
	_, err = r.Reconcile(testCtx(t), ref)
	require.NoError(t, err)
	assert.Equal(t, ReasonACMEAccountRegistered, readyCond(t, e.getIssuer(t, ref)).Reason)
}

// A 5xx is not retried inside the call (that multiplies the CA's load): it
// is reported and the next reconcile tries again. A bad nonce is the
// protocol's own retry and stays inline.
func TestACMEServerErrorIsNotRetriedInline(t *testing.T) {
	srv := acmetest.NewServer(t, acmetest.WithFaults(
		acmetest.ServerInternal(acmetest.EndpointNewAccount, 1),
		acmetest.BadNonce(acmetest.EndpointNewAccount, 2)))
	e := newEnv(t)
	iss := e.putIssuer(t, acmeIssuer(srv, ""))
	_, err := NewReconciler(e.deps, Options{HTTPClient: srv.Client()}).Reconcile(testCtx(t), meta.RefOf(iss))
	require.NoError(t, err)
	c := readyCond(t, e.getIssuer(t, meta.RefOf(iss)))
	assert.Equal(t, ReasonErrRegisterACMEAccount, c.Reason)
	assert.Contains(t, c.Message, "serverInternal")
	assert.Equal(t, 1, srv.Requests(acmetest.EndpointNewAccount), "one POST per visit")

	_, err = NewReconciler(e.deps, Options{HTTPClient: srv.Client()}).Reconcile(testCtx(t), meta.RefOf(iss))
	require.NoError(t, err)
	assert.Equal(t, ReasonACMEAccountRegistered, readyCond(t, e.getIssuer(t, meta.RefOf(iss))).Reason)
	assert.Equal(t, 4, srv.Requests(acmetest.EndpointNewAccount), "lookup (bad nonce, retried at once) and registration")
}

func TestACMECABundle(t *testing.T) {
	srv := acmetest.NewServer(t)
	e := newEnv(t)
	iss := acmeIssuer(srv, "")
	iss.Spec.ACME.CABundle = srv.TLSCertPEM()
	e.putIssuer(t, iss)
	r := NewReconciler(e.deps, Options{}) // system roots: only the bundle makes the CA trusted
	t.Cleanup(r.Clients().CloseIdleConnections)
	_, err := r.Reconcile(testCtx(t), meta.RefOf(iss))
	require.NoError(t, err)
	c := readyCond(t, e.getIssuer(t, meta.RefOf(iss)))
	assert.Equal(t, meta.ConditionTrue, c.Status, c.Message)

	untrusted := acmeIssuer(srv, "")
	untrusted.ObjectMeta.Name = "untrusted"
	e.putIssuer(t, untrusted)
	_, err = r.Reconcile(testCtx(t), meta.RefOf(untrusted))
	require.NoError(t, err)
	c = readyCond(t, e.getIssuer(t, meta.RefOf(untrusted)))
	assert.Equal(t, meta.ConditionFalse, c.Status)
	assert.Contains(t, c.Message, "certificate", "a TLS verification failure is reported")
}

func TestACMEServerChangeRegistersNewAccount(t *testing.T) {
	first, second := acmetest.NewServer(t), acmetest.NewServer(t)
	e := newEnv(t)
	iss := e.putIssuer(t, acmeIssuer(first, "ops@example.com"))
	ref := meta.RefOf(iss)
	// Both servers' TLS certificates must be trusted: bundle them.
	iss.IssuerSpec().ACME.CABundle = append(first.TLSCertPEM(), second.TLSCertPEM()...)
	require.NoError(t, e.store.Update(testCtx(t), iss))
	r := NewReconciler(e.deps, Options{})
	t.Cleanup(r.Clients().CloseIdleConnections)
	_, err := r.Reconcile(testCtx(t), ref)
	require.NoError(t, err)
	firstURI := e.getIssuer(t, ref).IssuerStatus().ACME.URI

	moved := e.getIssuer(t, ref).(*Issuer)
	moved.Spec.ACME.Server = second.DirectoryURL()
	moved.ObjectMeta.Generation++
	require.NoError(t, e.store.Update(testCtx(t), moved))
	_, err = r.Reconcile(testCtx(t), ref)
	require.NoError(t, err)
	got := e.getIssuer(t, ref)
	assert.Equal(t, meta.ConditionTrue, readyCond(t, got).Status, readyCond(t, got).Message)
	assert.True(t, strings.HasPrefix(got.IssuerStatus().ACME.URI, second.URL()+"/"), "registered with the new CA (%s, was %s)", got.IssuerStatus().ACME.URI, firstURI)
	assert.Equal(t, 2, second.Requests(acmetest.EndpointNewAccount), "a lookup that finds no account, then a registration")
}

func TestACMEReplacedKeyRegistersAgain(t *testing.T) {
	srv := acmetest.NewServer(t)
	e := newEnv(t)
	iss := e.putIssuer(t, acmeIssuer(srv, ""))
	ref := meta.RefOf(iss)
	r := NewReconciler(e.deps, Options{HTTPClient: srv.Client()})
	_, err := r.Reconcile(testCtx(t), ref)
	require.NoError(t, err)
	before := e.getIssuer(t, ref).IssuerStatus().ACME

	require.NoError(t, e.store.Delete(testCtx(t), meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "acct"}, ""))
	_, err = r.Reconcile(testCtx(t), ref)
	require.NoError(t, err)
	after := e.getIssuer(t, ref).IssuerStatus().ACME
	assert.NotEqual(t, before.LastPrivateKeyHash, after.LastPrivateKeyHash, "a new key")
	assert.NotEqual(t, before.URI, after.URI, "a new account")
}

func TestACMEClient(t *testing.T) {
	srv := acmetest.NewServer(t, acmetest.WithAlwaysValid())
	e := newEnv(t)
	iss := e.putIssuer(t, acmeIssuer(srv, ""))
	ref := meta.RefOf(iss)
	opts := Options{HTTPClient: srv.Client()}
	r := NewReconciler(e.deps, opts)

	_, err := r.Client(testCtx(t), e.getIssuer(t, ref))
	assert.ErrorIs(t, err, ErrNotReady, "no account yet")

	_, err = r.Reconcile(testCtx(t), ref)
	require.NoError(t, err)
	ready := e.getIssuer(t, ref)
	cl, err := r.Client(testCtx(t), ready)
	require.NoError(t, err)
	assert.Equal(t, acme.KeyID(ready.IssuerStatus().ACME.URI), cl.KID)
	cl2, err := r.Client(testCtx(t), ready)
	require.NoError(t, err)
	assert.Same(t, cl, cl2, "cached")

	// Another cache (a restarted process) builds a client from the status.
	fresh, err := NewACMEClients(e.deps, opts).Client(testCtx(t), ready)
	require.NoError(t, err)
	assert.Equal(t, acme.KeyID(ready.IssuerStatus().ACME.URI), fresh.KID)
	order, err := fresh.AuthorizeOrder(testCtx(t), acme.DomainIDs("a.example.test"))
	require.NoError(t, err, "the client is usable for orders")
	assert.NotEmpty(t, order.URI)

	_, err = r.Client(testCtx(t), newIssuer("ns", "self", Spec{SelfSigned: &SelfSignedIssuer{}}))
	assert.ErrorIs(t, err, ErrUnsupported)

	// After Invalidate the next reconcile asks the CA again.
	calls := acmeRequests(srv)
	r.Clients().Invalidate(ref)
	_, err = r.Reconcile(testCtx(t), ref)
	require.NoError(t, err)
	assert.Equal(t, calls+1, acmeRequests(srv))
	cl3, err := r.Client(testCtx(t), e.getIssuer(t, ref))
	require.NoError(t, err)
	assert.NotSame(t, cl, cl3, "a new client after Invalidate")
}

func TestACMESkipTLSVerify(t *testing.T) {
	srv := acmetest.NewServer(t)
	e := newEnv(t)
	iss := acmeIssuer(srv, "")
	iss.Spec.ACME.SkipTLSVerify = true
	e.putIssuer(t, iss)
	r := NewReconciler(e.deps, Options{})
	t.Cleanup(r.Clients().CloseIdleConnections)
	_, err := r.Reconcile(testCtx(t), meta.RefOf(iss))
	require.NoError(t, err)
	c := readyCond(t, e.getIssuer(t, meta.RefOf(iss)))
	assert.Equal(t, meta.ConditionTrue, c.Status, c.Message)
}
