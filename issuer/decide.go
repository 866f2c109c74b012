package issuer

import (
	"crypto"
	"reflect"
	"time"

	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/secret"
)

// Backoff bounds for an issuer that is not ready: the delay grows with the
// time the issuer has been failing for the same reason, so it roughly
// doubles at each visit, from minBackoff up to maxBackoff.
const (
	minBackoff = 30 * time.Second
	maxBackoff = 5 * time.Minute
)

// maxRetryAfter bounds how long a CA's Retry-After can postpone a retry.
const maxRetryAfter = 24 * time.Hour

const (
	msgRegistered  = "The ACME account was registered with the ACME server"
	msgReady       = "Issuer is ready"
	msgDeactivated = "The ACME account was deactivated on request; it is not used, and no new account is " +
		"registered until the account key Secret is replaced or deleted"
)

// Snapshot is everything a decision about one issuer reads.
type Snapshot struct {
	// Issuer is the issuer as stored; decide does not modify it.
	Issuer Object
	// SecretNamespace is where the Secrets the issuer names live.
	SecretNamespace string
	// CASecret is a CA issuer's key pair Secret, nil when it does not exist.
	CASecret *secret.Secret
	// Account is what an ACME issuer's decision reads about its account.
	Account Account
	// Now is the current time.
	Now time.Time
}

// Account is the ACME side of a Snapshot: the account key and the recorded
// results of earlier registrations. The issuer's status.acme records the
// account's URI, email and key; this process's memory adds when the CA last
// confirmed the account and until when a failed registration must wait.
type Account struct {
	// KeyMissing means the account key Secret does not exist.
	KeyMissing bool
	// Key is the account key, nil when missing or unusable (KeyProblem).
	Key        crypto.Signer
	KeyProblem string
	// EABKey is the external account binding MAC key when one is
	// configured; EABProblem says why it cannot be read. Either matters
	// only when the account must be registered.
	EABKey     []byte
	EABProblem string
	// VerifiedUntil is when this process's confirmation of the account (its
	// key and the URI in status) expires; zero: not confirmed here.
	VerifiedUntil time.Time
	// RetryAt is when a failed registration of the issuer's current
	// generation may be tried again; zero: no wait.
	RetryAt time.Time
	// NewKey means this visit generated Key: no account can exist for it,
	// so registering it asks the CA for a new account at once instead of
	// looking for an existing one first.
	NewKey bool
	// Registered is the issuer's copy of the key its account was last
	// registered with (see accountcopy.go); nil when there is none.
	Registered crypto.Signer
	// Hold is until when the CA asked the account to wait, as this
	// process knows it (accounthold.go); zero: no wait.
	Hold time.Time
}

// decision is decide's answer: a plan without effect closures (Plan.Object
// is the issuer with its new status) and the step to attach.
type decision struct {
	plan reconcile.Plan
	// newKey, when set, is the account key Secret the plan creates; its key
	// is generated outside the decision (fillAccountKey).
	newKey *secret.Secret
	// register, when set, asks the plan's effect to register or look up
	// the ACME account.
	register *registration
}

// again reports whether the issuer should be decided again at once, after
// the plan was executed: the next step follows from the one taken.
func (d decision) again() bool { return d.newKey != nil || d.register != nil }

// registration is what the registration effect needs.
type registration struct {
	key  crypto.Signer
	hash string // accountKeyHash(key)
	// kid is the account URI recorded for this key at this CA, or "".
	kid string
	eab []byte
	// eabProblem, if set, fails a registration that needs EAB.
	eabProblem string
	// newKey: the key was generated just now (Account.NewKey).
	newKey bool
	// previousURI is the account recorded in status for another key at
	// this CA: the key was replaced. previous, when certflow kept it, is
	// that account's key: the account is rolled over to key instead of
	// being replaced by a new one.
	previousURI string
	previous    crypto.Signer
	// saveCopy asks for the copy of the registered key to be (re)written.
	saveCopy bool
}

// decide is the issuer's state machine: pure, reading only s.
func decide(s Snapshot) (d decision) {
	obj := copyIssuer(s.Issuer)
	d.plan.Object = obj
	defer func() {
		d.plan.Write = !reflect.DeepEqual(*obj.IssuerStatus(), *s.Issuer.IssuerStatus())
	}()
	spec := obj.IssuerSpec()
	if err := Validate(spec); err != nil {
		// No retry: only a spec change (a new generation) can fix it.
		setReady(&d.plan, obj, meta.ConditionFalse, ReasonInvalidConfig, err.Error(), s.Now)
		return d
	}
	switch spec.Type() {
	case TypeSelfSigned:
		setReady(&d.plan, obj, meta.ConditionTrue, ReasonIsReady, "", s.Now)
	case TypeCA:
		decideCA(&d, obj, s)
	case TypeACME:
		decideACME(&d, obj, s)
	}
	return d
}

// decideACME makes sure the issuer's account key exists and its account is
// registered with the CA under the configured contact. Once that was
// confirmed in this process and nothing changed, it does not call the CA.
func decideACME(d *decision, obj Object, s Snapshot) {
	a := obj.IssuerSpec().ACME
	acct := s.Account
	now := s.Now
	if now.Before(acct.RetryAt) {
		// The re-reconcile our own write of a failure triggers must not
		// call the CA again before its time.
		keepReady(&d.plan, obj, now)
		d.plan.Next = acct.RetryAt
		return
	}
	switch {
	case acct.KeyMissing && a.DisableAccountKeyGeneration:
		ref, _ := accountKeyRef(s.SecretNamespace, a)
		notReady(&d.plan, obj, ReasonErrRegisterACMEAccount, missingAccountKey(ref), now)
		return
	case acct.KeyMissing:
		d.newKey = accountKeySecret(s.SecretNamespace, a)
		d.plan.Create = []meta.Object{d.newKey}
		return
	case acct.Key == nil:
		notReady(&d.plan, obj, ReasonErrRegisterACMEAccount, acct.KeyProblem, now)
		return
	}
	hash := accountKeyHash(acct.Key)
	recordHold(obj, hash, acct.Hold, now)
	st := obj.IssuerStatus().ACME
	if isDeactivated(obj, hash) {
		// No retry: only a new account key asks for a new account.
		setReady(&d.plan, obj, meta.ConditionFalse, ReasonACMEAccountDeactivated, msgDeactivated, now)
		return
	}
	kid := knownAccount(obj, hash)
	cond := obj.IssuerStatus().Conditions.Get(meta.ConditionReady)
	// While the CA asks the account to wait, confirming it would be a
	// request before the CA's time: what the status says stands until then.
	confirmed := acct.VerifiedUntil
	if acct.Hold.After(confirmed) {
		confirmed = acct.Hold
	}
	if now.Before(confirmed) && kid != "" && st.LastRegisteredEmail == a.Email && cond != nil &&
		cond.Status == meta.ConditionTrue && cond.Reason == ReasonACMEAccountRegistered &&
		cond.ObservedGeneration == obj.GetMeta().Generation {
		setReady(&d.plan, obj, meta.ConditionTrue, ReasonACMEAccountRegistered, msgRegistered, now)
		d.plan.Next = confirmed
		return
	}
	d.register = &registration{key: acct.Key, hash: hash, kid: kid, eab: acct.EABKey, eabProblem: acct.EABProblem,
		newKey: acct.NewKey && kid == ""}
	d.register.saveCopy = acct.Registered == nil || accountKeyHash(acct.Registered) != hash
	if kid == "" && !d.register.newKey && st != nil && st.URI != "" && !st.Deactivated && sameOrigin(st.URI, a.Server) {
		// A replaced key: the account it replaces is rolled over to it.
		d.register.previousURI = st.URI
		if acct.Registered != nil && accountKeyHash(acct.Registered) == st.LastPrivateKeyHash {
			d.register.previous = acct.Registered
		}
	}
}

// isDeactivated reports whether obj's status records that the account of
// the key whose hash is given, at the configured CA, was deactivated.
func isDeactivated(obj Object, hash string) bool {
	st := obj.IssuerStatus().ACME
	return st != nil && st.Deactivated && st.LastPrivateKeyHash == hash && sameOrigin(st.URI, obj.IssuerSpec().ACME.Server)
}

// knownAccount returns the account URI recorded in obj's status if it
// belongs to the key whose hash is given at the configured CA, or "".
func knownAccount(obj Object, hash string) string {
	st := obj.IssuerStatus().ACME
	if st != nil && st.URI != "" && st.LastPrivateKeyHash == hash && sameOrigin(st.URI, obj.IssuerSpec().ACME.Server) {
		return st.URI
	}
	return ""
}

// registered records a registration confirmed by the CA on obj.
func registered(obj Object, st ACMEStatus, now time.Time) []reconcile.Event {
	var p reconcile.Plan
	setReady(&p, obj, meta.ConditionTrue, ReasonACMEAccountRegistered, msgRegistered, now)
	obj.IssuerStatus().ACME = &st
	return p.Events
}

// registrationFailed records a failed registration on obj and returns when
// to try again: after the backoff or the CA's Retry-After, whichever is
// later.
func registrationFailed(obj Object, msg string, err error, now time.Time) ([]reconcile.Event, time.Time) {
	var p reconcile.Plan
	notReady(&p, obj, ReasonErrRegisterACMEAccount, msg, now)
	next := p.Next
	if err != nil {
		if d := acmeproto.Classify(err, now).RetryAfter; d > 0 {
			if at := now.Add(min(d, maxRetryAfter)); at.After(next) {
				next = at
			}
		}
	}
	return p.Events, next
}

// notReady sets Ready=False for reason, retried after a backoff derived from
// how long the issuer has been failing for this reason.
func notReady(p *reconcile.Plan, obj Object, reason meta.Reason, msg string, now time.Time) {
	p.Next = now.Add(backoff(obj, reason, now))
	setReady(p, obj, meta.ConditionFalse, reason, msg, now)
}

func backoff(obj Object, reason meta.Reason, now time.Time) time.Duration {
	c := obj.IssuerStatus().Conditions.Get(meta.ConditionReady)
	if c == nil || c.Status != meta.ConditionFalse || c.Reason != reason || c.LastTransitionTime.IsZero() {
		return minBackoff
	}
	return min(max(now.Sub(c.LastTransitionTime), minBackoff), maxBackoff)
}

// keepReady repeats obj's Ready condition for its current generation.
func keepReady(p *reconcile.Plan, obj Object, now time.Time) {
	status, reason, msg := meta.ConditionUnknown, meta.Reason(""), ""
	if c := obj.IssuerStatus().Conditions.Get(meta.ConditionReady); c != nil {
		status, reason, msg = c.Status, c.Reason, c.Message
	}
	setReady(p, obj, status, reason, msg, now)
}

// setReady sets obj's Ready condition for its current generation and adds
// an event to p when the condition changed.
func setReady(p *reconcile.Plan, obj Object, status meta.ConditionStatus, reason meta.Reason, msg string, now time.Time) {
	conds := &obj.IssuerStatus().Conditions
	prev := conds.Get(meta.ConditionReady)
	changed := prev == nil || prev.Status != status || prev.Reason != reason || prev.Message != msg
	conds.Set(meta.Condition{
		Type:               meta.ConditionReady,
		Status:             status,
		Reason:             reason,
		Message:            msg,
		LastTransitionTime: now,
		ObservedGeneration: obj.GetMeta().Generation,
	})
	if !changed {
		return
	}
	typ := meta.EventNormal
	if status != meta.ConditionTrue {
		typ = meta.EventWarning
	}
	if msg == "" {
		msg = msgReady
	}
	p.Eventf(typ, reason, msg)
}

// copyIssuer returns a copy of obj whose status can be changed without
// changing obj.
func copyIssuer(obj Object) Object {
	var c Object
	switch o := obj.(type) {
	case *Issuer:
		cp := *o
		c = &cp
	case *ClusterIssuer:
		cp := *o
		c = &cp
	default:
		return obj
	}
	*c.IssuerStatus() = cloneStatus(obj.IssuerStatus())
	return c
}

func cloneStatus(st *Status) Status {
	c := Status{Conditions: append(meta.Conditions(nil), st.Conditions...)}
	if st.ACME != nil {
		a := *st.ACME
		c.ACME = &a
	}
	return c
}
