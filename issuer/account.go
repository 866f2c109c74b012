package issuer

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/meta"
	"golang.org/x/crypto/acme"
)

// acmeCallTimeout bounds one reconcile's conversation with the CA, so a CA
// that hangs cannot hold a Manager worker.
const acmeCallTimeout = 30 * time.Second

// maxRetryAfter bounds how long a CA's Retry-After can postpone a retry.
const maxRetryAfter = 24 * time.Hour

const msgRegistered = "The ACME account was registered with the ACME server"

// problemError is a failure to report in the Ready condition as is.
type problemError struct{ msg string }

func (e *problemError) Error() string { return e.msg }

// storeError is a Store failure: returned to the Manager, not written to status.
type storeError struct{ err error }

func (e *storeError) Error() string { return e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

// reconcileACME makes sure the issuer's account key exists and its account is
// registered with the CA under the configured contact. Once that was
// confirmed in this process and nothing changed, it does not call the CA.
func (r *Reconciler) reconcileACME(ctx context.Context, obj Object, now time.Time) outcome {
	ref := meta.RefOf(obj)
	gen := obj.GetMeta().Generation
	if at, ok := r.waiting(ref, gen, now); ok {
		return current(obj, at)
	}
	a := obj.IssuerSpec().ACME
	ns := r.deps.SecretNamespace(ref)
	key, problem, err := loadAccountKey(ctx, r.deps.Store, ns, a, !a.DisableAccountKeyGeneration)
	if err != nil {
		return outcome{err: fmt.Errorf("issuer: reconcile %s: %w", ref, err)}
	}
	if problem != "" {
		return r.failACME(obj, now, problem, nil)
	}
	hash := accountKeyHash(key)
	st := obj.IssuerStatus().ACME
	kid := ""
	if st != nil && st.URI != "" && st.LastPrivateKeyHash == hash && sameOrigin(st.URI, a.Server) {
		kid = st.URI
	}
	uid := obj.GetMeta().UID
	fp := fingerprint(uid, a, hash, kid)
	e := r.clients.lookup(ref, fp)
	if e == nil {
		if e, err = r.clients.build(a, key, kid, fp); err != nil {
			return r.failACME(obj, now, err.Error(), nil)
		}
		e = r.clients.put(ref, e)
	}
	cond := obj.IssuerStatus().Conditions.Get(meta.ConditionReady)
	if until := e.verifiedUntil(); now.Before(until) && kid != "" && st.LastRegisteredEmail == a.Email && cond != nil &&
		cond.Status == meta.ConditionTrue && cond.Reason == ReasonACMEAccountRegistered && cond.ObservedGeneration == gen {
		out := ready(ReasonACMEAccountRegistered, msgRegistered)
		out.next = until
		return out
	}

	callCtx, cancel := context.WithTimeout(ctx, acmeCallTimeout)
	defer cancel()
	acct, err := r.ensureAccount(callCtx, e.client, a, ns)
	var se *storeError
	switch {
	case errors.As(err, &se):
		return outcome{err: fmt.Errorf("issuer: reconcile %s: %w", ref, se.err)}
	case err != nil:
		return r.failACME(obj, now, "Failed to register ACME account: "+err.Error(), err)
	}
	// Only this reconciler uses a client built without a KID, and a preset
	// KID is never rewritten, so reading it here races with nobody.
	fp = fingerprint(uid, a, hash, acct.URI)
	if string(e.client.KID) == acct.URI {
		r.clients.rekey(ref, e, fp) // Register taught the client its URI
	} else {
		if e, err = r.clients.build(a, key, acct.URI, fp); err != nil {
			return r.failACME(obj, now, err.Error(), nil)
		}
		e = r.clients.put(ref, e)
	}
	e.verifiedAt.Store(now.UnixNano())
	r.clearWaiting(ref)
	out := ready(ReasonACMEAccountRegistered, msgRegistered)
	out.acme = &ACMEStatus{URI: acct.URI, LastRegisteredEmail: a.Email, LastPrivateKeyHash: hash}
	out.next = e.verifiedUntil()
	return out
}

// ensureAccount finds the account of cl.Key, registering it (with EAB when
// configured) if the CA does not know it, and updates its contact if the
// email changed. It never sends the EAB key anywhere but into the MAC.
func (r *Reconciler) ensureAccount(ctx context.Context, cl *acme.Client, a *ACMEIssuer, ns string) (*acme.Account, error) {
	contact := contacts(a.Email)
	acct, err := cl.GetReg(ctx, "")
	if errors.Is(err, acme.ErrNoAccount) {
		reg := &acme.Account{Contact: contact}
		if eab := a.ExternalAccountBinding; eab != nil {
			mac, problem, err := eabKey(ctx, r.deps.Store, ns, eab.KeySecretRef)
			if err != nil {
				return nil, &storeError{err}
			}
			if problem != "" {
				return nil, &problemError{problem}
			}
			reg.ExternalAccountBinding = &acme.ExternalAccountBinding{KID: eab.KeyID, Key: mac}
		}
		acct, err = cl.Register(ctx, reg, acme.AcceptTOS)
		if errors.Is(err, acme.ErrAccountAlreadyExists) {
			acct, err = cl.GetReg(ctx, "")
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
		if acct, err = cl.UpdateReg(ctx, &acme.Account{Contact: contact}); err != nil {
			return nil, err
		}
		acct.URI = uri
	}
	return acct, nil
}

// failACME reports a registration failure, retried after the backoff or the
// CA's Retry-After, whichever is later.
func (r *Reconciler) failACME(obj Object, now time.Time, msg string, err error) outcome {
	out := notReady(obj, now, ReasonErrRegisterACMEAccount, msg)
	if err != nil {
		if d := acmeproto.Classify(err, now).RetryAfter; d > 0 {
			if at := now.Add(min(d, maxRetryAfter)); at.After(out.next) {
				out.next = at
			}
		}
	}
	r.mu.Lock()
	r.notBefore[meta.RefOf(obj)] = retryAt{generation: obj.GetMeta().Generation, at: out.next}
	r.mu.Unlock()
	return out
}

// waiting reports whether a failed registration of this generation must not
// be retried before the returned time.
func (r *Reconciler) waiting(ref meta.Ref, gen int64, now time.Time) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	w, ok := r.notBefore[ref]
	if !ok || w.generation != gen || !now.Before(w.at) {
		return time.Time{}, false
	}
	return w.at, true
}

func (r *Reconciler) clearWaiting(ref meta.Ref) {
	r.mu.Lock()
	delete(r.notBefore, ref)
	r.mu.Unlock()
}

// current repeats obj's Ready condition unchanged, to look again at next.
func current(obj Object, next time.Time) outcome {
	out := outcome{status: meta.ConditionUnknown, next: next}
	if c := obj.IssuerStatus().Conditions.Get(meta.ConditionReady); c != nil {
		out.status, out.reason, out.message = c.Status, c.Reason, c.Message
	}
	return out
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
