package issuer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// maxSteps bounds the steps one visit takes when each follows at once from
// the last: create the account key, register the account, settle.
const maxSteps = 3

// Reconciler drives Issuers and ClusterIssuers to Ready: it loads a
// Snapshot, decides a plan (decide, pure) and has reconcile.Execute apply
// it; creating the ACME account key is a child of the plan, registering the
// account its effect. It is the only writer of an issuer's status. Safe for
// concurrent use on different objects; the Manager runs at most one
// reconcile per object. The zero value is not usable; use NewReconciler.
type Reconciler struct {
	deps    reconcile.Deps
	log     *slog.Logger
	clients *ACMEClients

	mu sync.Mutex
	// retries remembers, per issuer and generation, when a failed ACME
	// registration may be tried again, so the re-reconcile that our own
	// status write triggers does not call the CA a second time.
	retries map[meta.Ref]retryAt
}

type retryAt struct {
	generation int64
	at         time.Time
}

var _ reconcile.Reconciler = (*Reconciler)(nil)

// NewReconciler returns a Reconciler using deps. A nil deps.Log discards logs;
// a nil deps.Events records nothing.
func NewReconciler(deps reconcile.Deps, opts Options) *Reconciler {
	log := deps.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if deps.Events == nil {
		deps.Events = discardEvents{}
	}
	return &Reconciler{
		deps:    deps,
		log:     log,
		clients: NewACMEClients(deps, opts),
		retries: map[meta.Ref]retryAt{},
	}
}

type discardEvents struct{}

func (discardEvents) Event(meta.Ref, meta.EventType, meta.Reason, string) {}

// Clients returns the cache of ACME clients the Reconciler registers
// accounts with; the order reconciler should use the same one so that
// directory, nonces and connections are shared.
func (r *Reconciler) Clients() *ACMEClients { return r.clients }

// Slot asks to start ACME work for iss's account; see ACMEClients.Slot.
func (r *Reconciler) Slot(iss Object, key string, wake func()) (release func(), retryAt time.Time, ok bool) {
	return r.clients.Slot(iss, key, wake)
}

// HeldUntil returns until when the CA asked iss's account to wait; see
// ACMEClients.HeldUntil.
func (r *Reconciler) HeldUntil(iss Object) time.Time { return r.clients.HeldUntil(iss) }

// Client returns a ready ACME client for iss; see ACMEClients.Client.
func (r *Reconciler) Client(ctx context.Context, iss Object) (*acme.Client, error) {
	return r.clients.Client(ctx, iss)
}

// errUnchanged is what the registration effect returns when the CA
// confirmed what the status already says: nothing to write.
var errUnchanged = errors.New("issuer: status unchanged")

// Reconcile brings the issuer named ref to its desired state and writes its
// status if it changed. It returns store.ErrConflict (wrapped) when the issuer
// changed meanwhile, and when it wants to look again (zero: on change only).
// A deleted issuer is forgotten: its ACME client leaves memory.
func (r *Reconciler) Reconcile(ctx context.Context, ref meta.Ref) (time.Time, error) {
	newKey := "" // hash of the account key this visit generated
	for step := 1; ; step++ {
		s, err := r.load(ctx, ref)
		if err != nil || s == nil {
			return time.Time{}, err
		}
		s.Account.NewKey = newKey != "" && s.Account.Key != nil && accountKeyHash(s.Account.Key) == newKey
		d := decide(*s)
		newKey = ""
		if d.newKey != nil {
			key, err := fillAccountKey(d.newKey, s.Issuer.IssuerSpec().ACME)
			if err != nil {
				return time.Time{}, fmt.Errorf("issuer: reconcile %s: %w", ref, err)
			}
			newKey = accountKeyHash(key)
		}
		// Events the effect's outcome adds are recorded once it is stored.
		var later []reconcile.Event
		if d.register != nil {
			d.plan.Effect = r.registerEffect(d.plan.Object.(Object), d.register, s.Now, &later)
		}
		next, err := reconcile.Execute(ctx, r.deps, d.plan)
		if err != nil && !errors.Is(err, errUnchanged) {
			return time.Time{}, err
		}
		for _, e := range later {
			meta.RecordEvent(r.deps.Events, d.plan.Object, e.Type, e.Reason, e.Message)
		}
		if !d.again() || step == maxSteps {
			return next, nil
		}
	}
}

// load reads the snapshot of the issuer named ref: nil when it is gone
// (then it is forgotten) or being deleted.
func (r *Reconciler) load(ctx context.Context, ref meta.Ref) (*Snapshot, error) {
	obj, err := Get(ctx, r.deps.Store, ref)
	if errors.Is(err, store.ErrNotFound) {
		r.forget(ref)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("issuer: reconcile: %w", err)
	}
	if obj.GetMeta().DeletionTime != nil {
		return nil, nil
	}
	s := &Snapshot{Issuer: obj, SecretNamespace: r.deps.SecretNamespace(ref), Now: r.deps.Clock.Now().Round(0)}
	spec := obj.IssuerSpec()
	if Validate(spec) != nil {
		return s, nil
	}
	switch spec.Type() {
	case TypeCA:
		sref := meta.Ref{Kind: meta.KindSecret, Namespace: s.SecretNamespace, Name: spec.CA.SecretName}
		s.CASecret, err = r.readSecret(ctx, sref)
	case TypeACME:
		err = r.loadAccount(ctx, s)
	}
	if err != nil {
		return nil, fmt.Errorf("issuer: reconcile %s: %w", ref, err)
	}
	return s, nil
}

// loadAccount fills s.Account: the account key, the EAB key, and what this
// process remembers of earlier registrations.
func (r *Reconciler) loadAccount(ctx context.Context, s *Snapshot) error {
	obj, a := s.Issuer, s.Issuer.IssuerSpec().ACME
	ref := meta.RefOf(obj)
	if at, ok := r.waiting(ref, obj.GetMeta().Generation); ok {
		s.Account.RetryAt = at
	}
	kref, _ := accountKeyRef(s.SecretNamespace, a)
	sec, err := r.readSecret(ctx, kref)
	switch {
	case err != nil:
		return fmt.Errorf("read account key: %w", err)
	case sec == nil:
		s.Account.KeyMissing = true
	default:
		s.Account.Key, s.Account.KeyProblem = parseAccountKey(sec, a)
	}
	if eab := a.ExternalAccountBinding; eab != nil {
		if s.Account.EABKey, s.Account.EABProblem, err = eabKey(ctx, r.deps.Store, s.SecretNamespace, eab.KeySecretRef); err != nil {
			return err
		}
	}
	if s.Account.Registered, err = readAccountCopy(ctx, r.deps.Store, ref, s.SecretNamespace); err != nil {
		return err
	}
	if s.Account.Key != nil {
		hash := accountKeyHash(s.Account.Key)
		s.Account.Hold = r.clients.accountHold(obj, a.Server, hash)
		if e := r.clients.lookup(ref, fingerprint(obj.GetMeta().UID, a, hash, knownAccount(obj, hash))); e != nil {
			s.Account.VerifiedUntil = e.verifiedUntil()
		}
	}
	return nil
}

// readSecret reads the Secret named ref, or nil when it does not exist.
func (r *Reconciler) readSecret(ctx context.Context, ref meta.Ref) (*secret.Secret, error) {
	sec := &secret.Secret{}
	err := r.deps.Store.Get(ctx, ref, sec)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", ref, err)
	}
	return sec, nil
}

// waiting returns until when a failed registration of generation gen of
// the issuer named ref must not be retried, if it must not.
func (r *Reconciler) waiting(ref meta.Ref, gen int64) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	w, ok := r.retries[ref]
	if !ok || w.generation != gen {
		return time.Time{}, false
	}
	return w.at, true
}

func (r *Reconciler) setWaiting(ref meta.Ref, gen int64, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if at.IsZero() {
		delete(r.retries, ref)
		return
	}
	r.retries[ref] = retryAt{generation: gen, at: at}
}

// forget drops what the Reconciler keeps in memory about a deleted issuer:
// its retry time and its ACME client (with nonces, connections and key).
// The Manager reconciles a deleted issuer for this; nothing else forgets.
func (r *Reconciler) forget(ref meta.Ref) {
	r.setWaiting(ref, 0, time.Time{})
	r.clients.forget(ref)
}
