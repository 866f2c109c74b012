package certificate

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// Options tune the certificate reconciler. Zero values are defaults.
type Options struct {
	// BackoffMin and BackoffMax bound the wait after failed issuances. If
	// zero, 1 minute and 32 hours.
	BackoffMin, BackoffMax time.Duration
}

// Reconciler decides when each Certificate is issued and carries issuance
// through its CertificateRequest into the Secret.
type Reconciler struct {
	deps reconcile.Deps
	opts Options
}

var _ reconcile.Reconciler = (*Reconciler)(nil)

// NewReconciler returns a certificate reconciler.
func NewReconciler(deps reconcile.Deps, opts Options) *Reconciler {
	if opts.BackoffMin == 0 {
		opts.BackoffMin = time.Minute
	}
	if opts.BackoffMax == 0 {
		opts.BackoffMax = 32 * time.Hour
	}
	return &Reconciler{deps: deps, opts: opts}
}

// Annotations on CertificateRequests, as cert-manager names them (the
// certificate's name and the key's Secret use secret.AnnotationCertificateName
// and request.AnnotationPrivateKeyName).
const (
	AnnotationRevision = "cert-manager.io/certificate-revision"
	// AnnotationRejected marks an issued request whose certificate failed
	// verification, so the failure is counted once.
	AnnotationRejected = "certflow.io/issuance-rejected"
)

// Reconcile moves one Certificate forward.
func (r *Reconciler) Reconcile(ctx context.Context, ref meta.Ref) (time.Time, error) {
	cert := &Certificate{}
	if err := r.deps.Store.Get(ctx, ref, cert); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return time.Time{}, nil
		}
		return time.Time{}, err
	}
	before := cert.Status.deepCopy()
	next, err := r.reconcile(ctx, cert)
	if err != nil {
		return time.Time{}, err
	}
	if !reflect.DeepEqual(before, cert.Status) {
		if err := r.deps.Store.Update(ctx, cert); err != nil {
			return time.Time{}, err
		}
	}
	return next, nil
}

func (r *Reconciler) reconcile(ctx context.Context, cert *Certificate) (time.Time, error) {
	now := r.deps.Clock.Now()
	if err := Validate(cert); err != nil {
		r.setReady(cert, meta.ConditionFalse, ReasonInvalid, err.Error(), now)
		cert.Status.Conditions.Remove(meta.ConditionIssuing)
		return time.Time{}, nil
	}
	sec, err := r.getSecret(ctx, cert.ObjectMeta.Namespace, cert.Spec.SecretName)
	if err != nil {
		return time.Time{}, err
	}
	req, err := r.getRequest(ctx, cert, requestName(cert))
	if err != nil {
		return time.Time{}, err
	}
	nextKey, err := r.loadNextKey(ctx, cert)
	if err != nil {
		return time.Time{}, err
	}
	if req != nil && !requestMatches(req, cert, nextKey) {
		// Made for an older spec or another key: it can never complete this issuance.
		if err := r.deleteRequest(ctx, req); err != nil {
			return time.Time{}, err
		}
		req = nil
	}
	if req != nil && requestIssued(req) {
		return r.complete(ctx, cert, sec, req, nextKey, now)
	}

	trigger, need := IssuanceTrigger(Input{Cert: cert, Secret: sec, Now: now})
	manual := isManual(cert)
	if !need && !manual {
		return r.upToDate(ctx, cert, sec, req, now)
	}
	if manual && !need {
		trigger = Trigger{ReasonManuallyTrigger, "Certificate re-issuance manually triggered"}
	}
	r.reflectSecret(cert, sec, trigger, now)

	if req != nil && requestFailed(req) {
		if !failureRecorded(cert, req) {
			r.recordFailure(cert, req, now)
			return r.retryAt(cert), nil
		}
		if at := r.retryAt(cert); now.Before(at) && !manual && !specChangedSinceFailure(cert) {
			return at, nil
		}
		if err := r.deleteRequest(ctx, req); err != nil {
			return time.Time{}, err
		}
		req = nil
	}

	cert.Status.Conditions.Set(meta.Condition{Type: meta.ConditionIssuing, Status: meta.ConditionTrue,
		Reason: trigger.Reason, Message: trigger.Message, LastTransitionTime: now, ObservedGeneration: cert.ObjectMeta.Generation})
	if nextKey == nil {
		if nextKey, err = r.createNextKey(ctx, cert, sec); err != nil {
			return time.Time{}, err
		}
	}
	cert.Status.NextPrivateKeySecretName = nextKey.name
	if req == nil {
		if err := r.createRequest(ctx, cert, nextKey); err != nil {
			return time.Time{}, err
		}
	}
	// The request's progress re-queues this certificate; nothing to time.
	return time.Time{}, nil
}

// upToDate records a valid Secret's state and schedules the renewal.
func (r *Reconciler) upToDate(ctx context.Context, cert *Certificate, sec *secret.Secret, req *request.CertificateRequest, now time.Time) (time.Time, error) {
	kp := parseKeyPair(sec)
	nb, na := kp.leaf.NotBefore, kp.leaf.NotAfter
	rt := RenewalTime(nb, na, &cert.Spec, JitterKey(cert))
	cert.Status.NotBefore, cert.Status.NotAfter, cert.Status.RenewalTime = &nb, &na, &rt
	r.setReady(cert, meta.ConditionTrue, ReasonReady, "Certificate is up to date and has not expired", now)
	cert.Status.Conditions.Remove(meta.ConditionIssuing)
	cert.Status.NextPrivateKeySecretName = ""
	if req != nil && !requestFinal(req) {
		if err := r.deleteRequest(ctx, req); err != nil {
			return time.Time{}, err
		}
	}
	if err := r.deleteNextKey(ctx, cert); err != nil {
		return time.Time{}, err
	}
	if err := r.pruneRequests(ctx, cert); err != nil {
		return time.Time{}, err
	}
	return rt, nil
}

// reflectSecret sets Ready from the Secret while an issuance is pending: a
// certificate being renewed stays Ready until its Secret stops being valid.
func (r *Reconciler) reflectSecret(cert *Certificate, sec *secret.Secret, t Trigger, now time.Time) {
	switch t.Reason {
	case ReasonRenewing, ReasonManuallyTrigger:
		return
	}
	r.setReady(cert, meta.ConditionFalse, t.Reason, t.Message, now)
}

func (r *Reconciler) setReady(cert *Certificate, status meta.ConditionStatus, reason meta.Reason, msg string, now time.Time) {
	cert.Status.Conditions.Set(meta.Condition{Type: meta.ConditionReady, Status: status, Reason: reason,
		Message: msg, LastTransitionTime: now, ObservedGeneration: cert.ObjectMeta.Generation})
}

// recordFailure counts a failed request once and starts the backoff.
func (r *Reconciler) recordFailure(cert *Certificate, req *request.CertificateRequest, now time.Time) {
	at := now
	if req.Status.FailureTime != nil {
		at = *req.Status.FailureTime
	}
	n := 1
	if cert.Status.FailedIssuanceAttempts != nil {
		n = *cert.Status.FailedIssuanceAttempts + 1
	}
	cert.Status.FailedIssuanceAttempts = &n
	cert.Status.LastFailureTime = &at
	msg := fmt.Sprintf("The certificate request %q failed: %s", req.ObjectMeta.Name, requestFailure(req))
	cert.Status.Conditions.Set(meta.Condition{Type: meta.ConditionIssuing, Status: meta.ConditionFalse,
		Reason: ReasonFailed, Message: msg, LastTransitionTime: now, ObservedGeneration: cert.ObjectMeta.Generation})
	retry := r.retryAt(cert)
	r.deps.Events.Event(meta.RefOf(cert), meta.EventWarning, ReasonFailed,
		fmt.Sprintf("%s; attempt %d, next attempt at %s", msg, n, retry.UTC().Format(time.RFC3339)))
}

func (r *Reconciler) retryAt(cert *Certificate) time.Time {
	if cert.Status.LastFailureTime == nil || cert.Status.FailedIssuanceAttempts == nil {
		return time.Time{}
	}
	return cert.Status.LastFailureTime.Add(Backoff(*cert.Status.FailedIssuanceAttempts, r.opts.BackoffMin, r.opts.BackoffMax))
}

// failureRecorded reports whether req's failure was already counted: every
// failed request carries a failure time, and the certificate remembers the
// latest one it counted.
func failureRecorded(cert *Certificate, req *request.CertificateRequest) bool {
	last := cert.Status.LastFailureTime
	return last != nil && (req.Status.FailureTime == nil || !last.Before(*req.Status.FailureTime))
}

func specChangedSinceFailure(cert *Certificate) bool {
	c := cert.Status.Conditions.Get(meta.ConditionIssuing)
	return c != nil && c.ObservedGeneration < cert.ObjectMeta.Generation
}

// MarkManualRenewal asks for a new issuance now, bypassing any failure
// backoff, as `cmctl renew` does: the reconciler treats an Issuing
// condition with reason ManuallyTriggered as a trigger.
func MarkManualRenewal(cert *Certificate, now time.Time) {
	cert.Status.Conditions.Set(meta.Condition{Type: meta.ConditionIssuing, Status: meta.ConditionTrue,
		Reason: ReasonManuallyTrigger, Message: "Certificate re-issuance manually triggered",
		LastTransitionTime: now, ObservedGeneration: cert.ObjectMeta.Generation})
}

func isManual(cert *Certificate) bool {
	c := cert.Status.Conditions.Get(meta.ConditionIssuing)
	return c != nil && c.Status == meta.ConditionTrue && c.Reason == ReasonManuallyTrigger
}

func revision(cert *Certificate) int {
	if cert.Status.Revision == nil {
		return 0
	}
	return *cert.Status.Revision
}

func requestName(cert *Certificate) string {
	return fmt.Sprintf("%s-%d", cert.ObjectMeta.Name, revision(cert)+1)
}

func (r *Reconciler) getSecret(ctx context.Context, ns, name string) (*secret.Secret, error) {
	s := &secret.Secret{}
	err := r.deps.Store.Get(ctx, meta.Ref{Kind: meta.KindSecret, Namespace: ns, Name: name}, s)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return s, err
}

func (s Status) deepCopy() Status {
	out := s
	out.Conditions = append(meta.Conditions(nil), s.Conditions...)
	return out
}
