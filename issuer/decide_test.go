package issuer

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/solver"
)

const testServer = "https://ca.example.test/directory"

// issuerWith returns an issuer of generation 2 with spec and, if ready is
// set, a Ready condition of reason observed at generation gen since t0.
func issuerWith(spec Spec, ready meta.ConditionStatus, reason meta.Reason, gen int64, acmeSt *ACMEStatus) *Issuer {
	iss := &Issuer{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "iss", UID: "uid", Generation: 2}, Spec: spec}
	if ready != "" {
		iss.Status.Conditions.Set(meta.Condition{Type: meta.ConditionReady, Status: ready, Reason: reason,
			Message: msgFor(reason), LastTransitionTime: t0, ObservedGeneration: gen})
	}
	iss.Status.ACME = acmeSt
	return iss
}

func msgFor(reason meta.Reason) string {
	switch reason {
	case ReasonACMEAccountRegistered:
		return msgRegistered
	case ReasonKeyPairVerified:
		return "Signing CA verified"
	case ReasonACMEAccountDeactivated:
		return msgDeactivated
	}
	return ""
}

func acmeSpec(mod func(*ACMEIssuer)) Spec {
	a := &ACMEIssuer{Server: testServer, Email: "ops@example.com", PrivateKeySecretRef: meta.LocalRef{Name: "acct"},
		Solvers: []solver.Config{{HTTP01: &solver.HTTP01Config{}}}}
	if mod != nil {
		mod(a)
	}
	return Spec{ACME: a}
}

// TestDecide lists every branch of decide, one row each.
func TestDecide(t *testing.T) {
	now := t0.Add(10 * time.Minute)
	key := newKey(t)
	hash := accountKeyHash(key)
	uri := "https://ca.example.test/acct/1"
	registeredSt := &ACMEStatus{URI: uri, LastRegisteredEmail: "ops@example.com", LastPrivateKeyHash: hash}
	ca := newTestCA(t, time.Time{})
	expired := newTestCA(t, t0.Add(time.Minute))
	caSecret := func(data map[string][]byte) *secret.Secret {
		return &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "ca-key-pair"}, Data: data}
	}
	notCA := ca.secretData(t, false)
	notCA[secret.TLSCertKey] = mustPEM(t, makeCert(t, certSpec{cn: "leaf"}, ca.interKey, ca.root, ca.rootKey))
	caSpec := Spec{CA: &CAIssuer{SecretName: "ca-key-pair"}}
	verified := Account{Key: key, VerifiedUntil: now.Add(time.Hour)}
	oldKey := newKey(t)
	oldSt := &ACMEStatus{URI: uri, LastRegisteredEmail: "ops@example.com", LastPrivateKeyHash: accountKeyHash(oldKey)}
	deactivatedSt := &ACMEStatus{URI: uri, LastRegisteredEmail: "ops@example.com", LastPrivateKeyHash: hash, Deactivated: true}

	type want struct {
		status   meta.ConditionStatus // "": Ready not set
		reason   meta.Reason
		message  string // contained in the Ready message
		write    bool
		next     time.Time
		event    meta.EventType // "": no event
		newKey   bool
		register bool
		kid      string
		// rollFrom is the account a replaced key rolls over (or looks up);
		// rollKey: with the registered key's copy, so the rollover can be
		// signed; keepCopy: the copy holds the key already.
		rollFrom string
		rollKey  bool
		keepCopy bool
	}
	tests := []struct {
		name string
		iss  *Issuer
		ca   *secret.Secret
		acct Account
		want want
	}{
		{"invalid spec is not retried", issuerWith(Spec{}, "", "", 0, nil), nil, Account{},
			want{status: meta.ConditionFalse, reason: ReasonInvalidConfig, message: "exactly one of", write: true, event: meta.EventWarning}},
		{"self-signed is ready", issuerWith(Spec{SelfSigned: &SelfSignedIssuer{}}, "", "", 0, nil), nil, Account{},
			want{status: meta.ConditionTrue, reason: ReasonIsReady, write: true, event: meta.EventNormal}},
		{"self-signed already ready writes nothing", issuerWith(Spec{SelfSigned: &SelfSignedIssuer{}}, meta.ConditionTrue, ReasonIsReady, 2, nil), nil, Account{},
			want{status: meta.ConditionTrue, reason: ReasonIsReady}},
		{"ready of an older generation is observed again", issuerWith(Spec{SelfSigned: &SelfSignedIssuer{}}, meta.ConditionTrue, ReasonIsReady, 1, nil), nil, Account{},
			want{status: meta.ConditionTrue, reason: ReasonIsReady, write: true}},

		{"CA Secret missing", issuerWith(caSpec, "", "", 0, nil), nil, Account{},
			want{status: meta.ConditionFalse, reason: ReasonErrGetKeyPair, message: `Secret "ca-key-pair" not found in namespace "ns"`,
				write: true, next: now.Add(minBackoff), event: meta.EventWarning}},
		{"CA failing for a while backs off up to the cap", issuerWith(caSpec, meta.ConditionFalse, ReasonErrGetKeyPair, 2, nil), nil, Account{},
			want{status: meta.ConditionFalse, reason: ReasonErrGetKeyPair, write: true, next: now.Add(maxBackoff), event: meta.EventWarning}},
		{"CA Secret holds no CA", issuerWith(caSpec, "", "", 0, nil), caSecret(notCA), Account{},
			want{status: meta.ConditionFalse, reason: ReasonErrInvalidKeyPair, message: `"CN=leaf" is not a CA`,
				write: true, next: now.Add(minBackoff), event: meta.EventWarning}},
		{"CA expired", issuerWith(caSpec, "", "", 0, nil), caSecret(expired.secretData(t, false)), Account{},
			want{status: meta.ConditionFalse, reason: ReasonErrInvalidKeyPair, message: "expired",
				write: true, next: now.Add(minBackoff), event: meta.EventWarning}},
		{"CA verified until it expires", issuerWith(caSpec, "", "", 0, nil), caSecret(ca.secretData(t, true)), Account{},
			want{status: meta.ConditionTrue, reason: ReasonKeyPairVerified, write: true, next: ca.inter.NotAfter, event: meta.EventNormal}},

		{"failed registration waits for its retry time", issuerWith(acmeSpec(nil), meta.ConditionFalse, ReasonErrRegisterACMEAccount, 2, nil), nil,
			Account{Key: key, RetryAt: now.Add(time.Minute)},
			want{status: meta.ConditionFalse, reason: ReasonErrRegisterACMEAccount, next: now.Add(time.Minute)}},
		{"failed registration is retried at its time", issuerWith(acmeSpec(nil), meta.ConditionFalse, ReasonErrRegisterACMEAccount, 2, nil), nil,
			Account{Key: key, RetryAt: now},
			want{status: meta.ConditionFalse, reason: ReasonErrRegisterACMEAccount, register: true}},
		{"missing account key is created", issuerWith(acmeSpec(nil), "", "", 0, nil), nil, Account{KeyMissing: true},
			want{newKey: true}},
		{"missing account key without generation", issuerWith(acmeSpec(func(a *ACMEIssuer) { a.DisableAccountKeyGeneration = true }), "", "", 0, nil), nil,
			Account{KeyMissing: true},
			want{status: meta.ConditionFalse, reason: ReasonErrRegisterACMEAccount, message: "key generation is disabled",
				write: true, next: now.Add(minBackoff), event: meta.EventWarning}},
		{"unusable account key", issuerWith(acmeSpec(nil), "", "", 0, nil), nil, Account{KeyProblem: "ACME account key is invalid"},
			want{status: meta.ConditionFalse, reason: ReasonErrRegisterACMEAccount, message: "ACME account key is invalid",
				write: true, next: now.Add(minBackoff), event: meta.EventWarning}},
		{"new account is registered", issuerWith(acmeSpec(nil), "", "", 0, nil), nil, Account{Key: key},
			want{register: true}},
		{"confirmed account is not asked again", issuerWith(acmeSpec(nil), meta.ConditionTrue, ReasonACMEAccountRegistered, 2, registeredSt), nil, verified,
			want{status: meta.ConditionTrue, reason: ReasonACMEAccountRegistered, next: verified.VerifiedUntil}},
		{"confirmation expired", issuerWith(acmeSpec(nil), meta.ConditionTrue, ReasonACMEAccountRegistered, 2, registeredSt), nil,
			Account{Key: key, VerifiedUntil: now, Registered: key},
			want{status: meta.ConditionTrue, reason: ReasonACMEAccountRegistered, register: true, kid: uri, keepCopy: true}},
		{"changed email updates the account", issuerWith(acmeSpec(func(a *ACMEIssuer) { a.Email = "new@example.com" }), meta.ConditionTrue, ReasonACMEAccountRegistered, 2, registeredSt), nil, verified,
			want{status: meta.ConditionTrue, reason: ReasonACMEAccountRegistered, register: true, kid: uri}},
		{"new generation is confirmed", issuerWith(acmeSpec(nil), meta.ConditionTrue, ReasonACMEAccountRegistered, 1, registeredSt), nil, verified,
			want{status: meta.ConditionTrue, reason: ReasonACMEAccountRegistered, register: true, kid: uri}},
		{"replaced key without the old one's copy: looked up, else registered", issuerWith(acmeSpec(nil), meta.ConditionTrue, ReasonACMEAccountRegistered, 2,
			&ACMEStatus{URI: uri, LastRegisteredEmail: "ops@example.com", LastPrivateKeyHash: "other"}), nil, verified,
			want{status: meta.ConditionTrue, reason: ReasonACMEAccountRegistered, register: true, rollFrom: uri}},
		{"replaced key with the registered key's copy rolls the account over", issuerWith(acmeSpec(nil), meta.ConditionTrue, ReasonACMEAccountRegistered, 2, oldSt), nil,
			Account{Key: key, Registered: oldKey},
			want{status: meta.ConditionTrue, reason: ReasonACMEAccountRegistered, register: true, rollFrom: uri, rollKey: true}},
		{"a key generated for a deleted Secret is a new account, not a rollover", issuerWith(acmeSpec(nil), meta.ConditionTrue, ReasonACMEAccountRegistered, 2, oldSt), nil,
			Account{Key: key, Registered: oldKey, NewKey: true},
			want{status: meta.ConditionTrue, reason: ReasonACMEAccountRegistered, register: true}},
		{"deactivated account: not ready, no CA call, no retry", issuerWith(acmeSpec(nil), meta.ConditionTrue, ReasonACMEAccountRegistered, 2, deactivatedSt), nil,
			Account{Key: key, Registered: key},
			want{status: meta.ConditionFalse, reason: ReasonACMEAccountDeactivated, message: "deactivated", write: true, event: meta.EventWarning}},
		{"deactivated account already said so writes nothing", issuerWith(acmeSpec(nil), meta.ConditionFalse, ReasonACMEAccountDeactivated, 2, deactivatedSt), nil,
			Account{Key: key, Registered: key},
			want{status: meta.ConditionFalse, reason: ReasonACMEAccountDeactivated}},
		{"deactivated account's key replaced: a new account, not a rollover", issuerWith(acmeSpec(nil), meta.ConditionFalse, ReasonACMEAccountDeactivated, 2,
			&ACMEStatus{URI: uri, LastPrivateKeyHash: accountKeyHash(oldKey), Deactivated: true}), nil,
			Account{Key: key, Registered: oldKey},
			want{status: meta.ConditionFalse, reason: ReasonACMEAccountDeactivated, register: true}},
		{"changed CA registers a new account", issuerWith(acmeSpec(func(a *ACMEIssuer) { a.Server = "https://other.example.test/dir" }),
			meta.ConditionTrue, ReasonACMEAccountRegistered, 2, registeredSt), nil, verified,
			want{status: meta.ConditionTrue, reason: ReasonACMEAccountRegistered, register: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := cloneStatus(&tt.iss.Status)
			d := decide(Snapshot{Issuer: tt.iss, SecretNamespace: "ns", CASecret: tt.ca, Account: tt.acct, Now: now})
			assert.Equal(t, before, tt.iss.Status, "the snapshot is not modified")
			obj := d.plan.Object.(Object)
			c := obj.IssuerStatus().Conditions.Get(meta.ConditionReady)
			if tt.want.status == "" {
				assert.Nil(t, c)
			} else {
				require.NotNil(t, c)
				assert.Equal(t, tt.want.status, c.Status)
				assert.Equal(t, tt.want.reason, c.Reason)
				assert.Contains(t, c.Message, tt.want.message)
				if tt.want.write {
					assert.Equal(t, obj.GetMeta().Generation, c.ObservedGeneration)
				}
			}
			assert.Equal(t, tt.want.write, d.plan.Write, "write")
			assert.True(t, tt.want.next.Equal(d.plan.Next), "next: want %s, got %s", tt.want.next, d.plan.Next)
			if tt.want.event == "" {
				assert.Empty(t, d.plan.Events)
			} else {
				require.Len(t, d.plan.Events, 1)
				assert.Equal(t, tt.want.event, d.plan.Events[0].Type)
				assert.Equal(t, tt.want.reason, d.plan.Events[0].Reason)
				assert.NotEmpty(t, d.plan.Events[0].Message)
			}
			assert.Nil(t, d.plan.Effect, "effects are attached outside the decision")
			if tt.want.newKey {
				require.NotNil(t, d.newKey)
				require.Len(t, d.plan.Create, 1)
				assert.Same(t, d.newKey, d.plan.Create[0])
				assert.Equal(t, meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "acct"}, meta.RefOf(d.newKey))
				assert.Contains(t, d.newKey.Data, secret.TLSKeyKey)
				assert.True(t, d.again(), "the account is registered in the same visit")
			} else {
				assert.Nil(t, d.newKey)
				assert.Empty(t, d.plan.Create)
			}
			if tt.want.register {
				require.NotNil(t, d.register)
				assert.Equal(t, tt.want.kid, d.register.kid)
				assert.Equal(t, hash, d.register.hash)
				assert.Equal(t, tt.want.rollFrom, d.register.previousURI, "rollover from")
				assert.Equal(t, tt.want.rollKey, d.register.previous != nil, "rollover signed by the copy")
				assert.Equal(t, !tt.want.keepCopy, d.register.saveCopy, "copy written")
				assert.True(t, d.again())
			} else {
				assert.Nil(t, d.register)
			}
		})
	}
}

// TestRegistrationOutcome covers what the registration effect records.
func TestRegistrationOutcome(t *testing.T) {
	now := t0
	t.Run("registered", func(t *testing.T) {
		iss := issuerWith(acmeSpec(nil), "", "", 0, nil)
		st := ACMEStatus{URI: "https://ca.example.test/acct/1", LastRegisteredEmail: "ops@example.com", LastPrivateKeyHash: "h"}
		events := registered(iss, st, now)
		assert.Equal(t, &st, iss.Status.ACME)
		assert.Equal(t, ReasonACMEAccountRegistered, readyCond(t, iss).Reason)
		require.Len(t, events, 1)
		assert.Equal(t, meta.EventNormal, events[0].Type)
		assert.Empty(t, registered(iss, st, now.Add(time.Hour)), "no event when nothing changed")
	})
	tests := []struct {
		name string
		err  error
		next time.Time
	}{
		{"no error: backoff", nil, now.Add(minBackoff)},
		{"plain error: backoff", errors.New("boom"), now.Add(minBackoff)},
		{"shorter Retry-After: backoff", &acme.Error{StatusCode: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"5"}}}, now.Add(minBackoff)},
		{"longer Retry-After wins", &acme.Error{StatusCode: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"600"}}}, now.Add(10 * time.Minute)},
		{"Retry-After is bounded", &acme.Error{StatusCode: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"999999"}}}, now.Add(maxRetryAfter)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iss := issuerWith(acmeSpec(nil), "", "", 0, nil)
			events, next := registrationFailed(iss, "Failed to register ACME account: x", tt.err, now)
			assert.True(t, tt.next.Equal(next), "want %s, got %s", tt.next, next)
			c := readyCond(t, iss)
			assert.Equal(t, meta.ConditionFalse, c.Status)
			assert.Equal(t, ReasonErrRegisterACMEAccount, c.Reason)
			require.Len(t, events, 1)
			assert.Equal(t, meta.EventWarning, events[0].Type)
		})
	}
}
