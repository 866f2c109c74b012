package issuer

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"time"

	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
)

// acmeCallTimeout bounds one reconcile's conversation with the CA, so a CA
// that hangs cannot hold a Manager worker.
const acmeCallTimeout = 30 * time.Second

// problemError is a failure to report in the Ready condition as is.
type problemError struct{ msg string }

func (e *problemError) Error() string { return e.msg }

// registerEffect is the plan's effect that registers obj's ACME account, or
// looks it up, and records the outcome on obj: the account URI and contact
// in status.acme and the Ready condition, or a failure with when to retry.
// Events the outcome adds go to later. When the CA confirmed what the
// status already says, it returns errUnchanged: nothing to write.
func (r *Reconciler) registerEffect(obj Object, reg *registration, decided time.Time, later *[]reconcile.Event) *reconcile.Effect {
	return &reconcile.Effect{Name: "register ACME account", Do: func(ctx context.Context) error {
		before := cloneStatus(obj.IssuerStatus())
		*later = r.register(ctx, obj, reg, decided)
		if reflect.DeepEqual(before, *obj.IssuerStatus()) {
			return errUnchanged
		}
		return nil
	}}
}

// register talks to the CA for obj's account with the client cached for
// it (built if needed) and records the outcome on obj.
func (r *Reconciler) register(ctx context.Context, obj Object, reg *registration, now time.Time) []reconcile.Event {
	ref, a, uid := meta.RefOf(obj), obj.IssuerSpec().ACME, obj.GetMeta().UID
	fail := func(msg string, err error) []reconcile.Event {
		events, next := registrationFailed(obj, msg, err, now)
		r.setWaiting(ref, obj.GetMeta().Generation, next)
		return events
	}
	fp := fingerprint(uid, a, reg.hash, reg.kid)
	e := r.clients.lookup(ref, fp)
	if e == nil {
		var err error
		if e, err = r.clients.build(a, reg.key, reg.kid, fp); err != nil {
			return fail(err.Error(), nil)
		}
		e = r.clients.put(ref, e)
	}
	callCtx, cancel := context.WithTimeout(ctx, acmeCallTimeout)
	defer cancel()
	acct, err := ensureAccount(callCtx, e.client, a, reg)
	if err != nil {
		return fail("Failed to register ACME account: "+err.Error(), err)
	}
	// Only this reconciler uses a client built without a KID, and a preset
	// KID is never rewritten, so reading it here races with nobody.
	fp = fingerprint(uid, a, reg.hash, acct.URI)
	if string(e.client.KID) == acct.URI {
		r.clients.rekey(ref, e, fp) // Register taught the client its URI
	} else {
		if e, err = r.clients.build(a, reg.key, acct.URI, fp); err != nil {
			return fail(err.Error(), nil)
		}
		e = r.clients.put(ref, e)
	}
	e.verifiedAt.Store(now.UnixNano())
	r.setWaiting(ref, 0, time.Time{})
	if reg.saveCopy {
		// Only a help for a later rollover: the account works without it.
		err := saveAccountCopy(ctx, r.deps.Store, obj, r.deps.SecretNamespace(ref), reg.key)
		if errors.Is(err, ErrAccountKeyCopyNotOurs) {
			// A user's Secret sits where the copy belongs: overwriting it
			// would lose it, and running without a copy would turn the
			// next key change into a new account.
			return fail("Cannot keep a copy of the account key: "+err.Error()+"; rename or delete that Secret", nil)
		}
		if err != nil {
			r.log.Warn("cannot keep a copy of the account key; a later key change will register a new account",
				"kind", ref.Kind, "namespace", ref.Namespace, "name", ref.Name, "err", err)
		}
	}
	events := registered(obj, ACMEStatus{URI: acct.URI, LastRegisteredEmail: a.Email, LastPrivateKeyHash: reg.hash}, now)
	if reg.previousURI != "" && acct.URI == reg.previousURI {
		events = append(events, reconcile.Event{Type: meta.EventNormal, Reason: ReasonACMEAccountKeyRolledOver,
			Message: "The ACME account " + acct.URI + " now uses the account key in the Secret; its URL is unchanged"})
	}
	return events
}

// ensureAccount finds the account of cl.Key, registering it (with EAB when
// configured) if the CA does not know it, and updates its contact if the
// email changed. A key generated just now is registered without looking
// for its account first: one newAccount request. It never sends the EAB
// key anywhere but into the MAC.
func ensureAccount(ctx context.Context, cl *acme.Client, a *ACMEIssuer, reg *registration) (*acme.Account, error) {
	contact := contacts(a.Email)
	var acct *acme.Account
	err := acme.ErrNoAccount // a key generated just now has no account
	if !reg.newKey {
		// After a key change this comes first: a rollover the CA accepted
		// before the process could record it is found here, not repeated.
		acct, err = cl.GetReg(acmeproto.WithAction(ctx, acmeproto.ActionGetRegistration), "")
	}
	if errors.Is(err, acme.ErrNoAccount) && reg.previous != nil {
		acct, err = rollover(ctx, cl, reg)
		// Only the class is read: no Retry-After, no clock.
		if acmeproto.Classify(err, time.Time{}).Class == acmeproto.AccountGone {
			err = acme.ErrNoAccount // the old account is gone: nothing to roll over
		}
	}
	if errors.Is(err, acme.ErrNoAccount) {
		newAcct := &acme.Account{Contact: contact}
		if eab := a.ExternalAccountBinding; eab != nil {
			if reg.eabProblem != "" {
				return nil, &problemError{reg.eabProblem}
			}
			newAcct.ExternalAccountBinding = &acme.ExternalAccountBinding{KID: eab.KeyID, Key: reg.eab}
		}
		acct, err = cl.Register(acmeproto.WithAction(ctx, acmeproto.ActionRegisterAccount), newAcct, acme.AcceptTOS)
		if errors.Is(err, acme.ErrAccountAlreadyExists) {
			acct, err = cl.GetReg(acmeproto.WithAction(ctx, acmeproto.ActionGetRegistration), "")
		}
	}
	if err != nil {
		return nil, err
	}
	if acct.URI == "" {
		return nil, errors.New("the ACME server returned no account URL")
	}
	if len(contact) > 0 && !slices.Equal(acct.Contact, contact) {
		uri := acct.URI
		if acct, err = cl.UpdateReg(acmeproto.WithAction(ctx, acmeproto.ActionUpdateRegistration), &acme.Account{Contact: contact}); err != nil {
			return nil, err
		}
		acct.URI = uri
	}
	return acct, nil
}

func contacts(email string) []string {
	if email == "" {
		return nil
	}
	return []string{"mailto:" + email}
}

// sameOrigin reports whether an account URI belongs to the server's CA: a
// changed server means a new account.
func sameOrigin(accountURI, server string) bool {
	a, err1 := url.Parse(accountURI)
	s, err2 := url.Parse(server)
	return err1 == nil && err2 == nil && a.Scheme == s.Scheme && a.Host == s.Host
}

// rollover moves the account reg.previousURI from reg.previous to cl's key
// (RFC 8555 §7.3.5: keyChange signed by both keys) and returns the account
// as cl now finds it, under the same URL.
func rollover(ctx context.Context, cl *acme.Client, reg *registration) (*acme.Account, error) {
	old := &acme.Client{Key: reg.previous, KID: acme.KeyID(reg.previousURI), HTTPClient: cl.HTTPClient,
		DirectoryURL: cl.DirectoryURL, UserAgent: cl.UserAgent, RetryBackoff: cl.RetryBackoff}
	if err := old.AccountKeyRollover(acmeproto.WithAction(ctx, acmeproto.ActionAccountKeyRollover), cl.Key); err != nil {
		return nil, fmt.Errorf("account key rollover: %w", err)
	}
	return cl.GetReg(acmeproto.WithAction(ctx, acmeproto.ActionGetRegistration), "")
}
