package issuer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"sync"
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/store"
	"golang.org/x/crypto/acme"
)

// Backoff bounds for an issuer that is not ready: the delay grows with the
// time the issuer has been failing for the same reason, so it roughly
// doubles at each visit, from minBackoff up to maxBackoff.
const (
	minBackoff = 30 * time.Second
	maxBackoff = 5 * time.Minute
)

// Reconciler drives Issuers and ClusterIssuers to Ready: it validates the
// spec, checks a CA issuer's key pair and registers an ACME issuer's account.
// It is the only writer of an issuer's status. Safe for concurrent use on
// different objects; the Manager runs at most one reconcile per object. The
// zero value is not usable; use NewReconciler.
type Reconciler struct {
	deps    reconcile.Deps
	log     *slog.Logger
	clients *ACMEClients

	mu sync.Mutex
	// notBefore remembers, per issuer and generation, when a failed ACME
	// registration may be tried again, so the re-reconcile that our own
	// status write triggers does not call the CA a second time.
	notBefore map[meta.Ref]retryAt
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
	return &Reconciler{
		deps:      deps,
		log:       log,
		clients:   NewACMEClients(deps, opts),
		notBefore: map[meta.Ref]retryAt{},
	}
}

// Clients returns the cache of ACME clients the Reconciler registers
// accounts with; the order reconciler should use the same one so that
// directory, nonces and connections are shared.
func (r *Reconciler) Clients() *ACMEClients { return r.clients }

// Slot asks to start ACME work for iss's account; see ACMEClients.Slot.
func (r *Reconciler) Slot(iss Object, key string, wake func()) (release func(), retryAt time.Time, ok bool) {
	return r.clients.Slot(iss, key, wake)
}

// NotBefore returns when iss's account may send its next request; see
// ACMEClients.NotBefore.
func (r *Reconciler) NotBefore(iss Object) time.Time { return r.clients.NotBefore(iss) }

// Client returns a ready ACME client for iss; see ACMEClients.Client.
func (r *Reconciler) Client(ctx context.Context, iss Object) (*acme.Client, error) {
	return r.clients.Client(ctx, iss)
}

// outcome is what one visit decided: the Ready condition, the ACME account
// status (nil: leave as is), when to look again, and an error to return.
type outcome struct {
	status  meta.ConditionStatus
	reason  meta.Reason
	message string
	acme    *ACMEStatus
	next    time.Time
	err     error
}

func ready(reason meta.Reason, msg string) outcome {
	return outcome{status: meta.ConditionTrue, reason: reason, message: msg}
}

// notReady is a failure retried after a backoff derived from how long the
// issuer has been failing for this reason.
func notReady(obj Object, now time.Time, reason meta.Reason, msg string) outcome {
	return outcome{status: meta.ConditionFalse, reason: reason, message: msg, next: now.Add(backoff(obj, reason, now))}
}

func backoff(obj Object, reason meta.Reason, now time.Time) time.Duration {
	c := obj.IssuerStatus().Conditions.Get(meta.ConditionReady)
	if c == nil || c.Status != meta.ConditionFalse || c.Reason != reason || c.LastTransitionTime.IsZero() {
		return minBackoff
	}
	return min(max(now.Sub(c.LastTransitionTime), minBackoff), maxBackoff)
}

// Reconcile brings the issuer named ref to its desired state and writes its
// status if it changed. It returns store.ErrConflict (wrapped) when the issuer
// changed meanwhile, and when it wants to look again (zero: on change only).
func (r *Reconciler) Reconcile(ctx context.Context, ref meta.Ref) (time.Time, error) {
	obj, err := Get(ctx, r.deps.Store, ref)
	if errors.Is(err, store.ErrNotFound) {
		r.forget(ref)
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("issuer: reconcile: %w", err)
	}
	if obj.GetMeta().DeletionTime != nil {
		return time.Time{}, nil
	}
	now := r.deps.Clock.Now().Round(0)
	out := r.decide(ctx, obj, now)
	if out.err != nil && out.status == "" {
		return time.Time{}, out.err
	}
	if err := r.writeStatus(ctx, obj, out, now); err != nil {
		return time.Time{}, err
	}
	return out.next, out.err
}

func (r *Reconciler) decide(ctx context.Context, obj Object, now time.Time) outcome {
	spec := obj.IssuerSpec()
	if err := Validate(spec); err != nil {
		// No retry: only a spec change (a new generation) can fix it.
		return outcome{status: meta.ConditionFalse, reason: ReasonInvalidConfig, message: err.Error()}
	}
	switch spec.Type() {
	case TypeSelfSigned:
		return ready(ReasonIsReady, "")
	case TypeCA:
		return r.checkCA(ctx, obj, now)
	case TypeACME:
		return r.reconcileACME(ctx, obj, now)
	}
	return outcome{status: meta.ConditionFalse, reason: ReasonInvalidConfig, message: "no issuer type set"}
}

// writeStatus applies out to obj's status and updates the Store only if
// something changed, because every write makes the Manager reconcile again.
func (r *Reconciler) writeStatus(ctx context.Context, obj Object, out outcome, now time.Time) error {
	st := obj.IssuerStatus()
	before := cloneStatus(st)
	st.Conditions.Set(meta.Condition{
		Type:               meta.ConditionReady,
		Status:             out.status,
		Reason:             out.reason,
		Message:            out.message,
		LastTransitionTime: now,
		ObservedGeneration: obj.GetMeta().Generation,
	})
	if out.acme != nil {
		st.ACME = out.acme
	}
	if reflect.DeepEqual(before, *st) {
		return nil
	}
	if err := r.deps.Store.Update(ctx, obj); err != nil {
		return fmt.Errorf("issuer: reconcile: update %s: %w", meta.RefOf(obj), err)
	}
	prev := before.Conditions.Get(meta.ConditionReady)
	if prev == nil || prev.Status != out.status || prev.Reason != out.reason || prev.Message != out.message {
		r.record(obj, out)
	}
	return nil
}

func (r *Reconciler) record(obj Object, out outcome) {
	ref := meta.RefOf(obj)
	typ := meta.EventNormal
	if out.status != meta.ConditionTrue {
		typ = meta.EventWarning
	}
	r.log.Info("issuer ready condition changed", "kind", ref.Kind, "namespace", ref.Namespace,
		"name", ref.Name, "state", string(out.status), "reason", string(out.reason))
	if r.deps.Events != nil {
		msg := out.message
		if msg == "" {
			msg = "Issuer is ready"
		}
		r.deps.Events.Event(ref, typ, out.reason, msg)
	}
}

func cloneStatus(st *Status) Status {
	c := Status{Conditions: append(meta.Conditions(nil), st.Conditions...)}
	if st.ACME != nil {
		a := *st.ACME
		c.ACME = &a
	}
	return c
}

// forget drops what the Reconciler remembers about a deleted issuer.
func (r *Reconciler) forget(ref meta.Ref) {
	r.mu.Lock()
	delete(r.notBefore, ref)
	r.mu.Unlock()
	r.clients.forget(ref)
}
