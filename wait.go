package certflow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// ErrNeverReady is matched (errors.Is) by the *FailedError WaitReady
// returns for a Certificate that cannot become Ready until its spec
// changes: its spec is invalid, or another Certificate owns its Secret.
var ErrNeverReady = errors.New("certflow: certificate cannot become ready")

// ErrIssuanceFailed is matched (errors.Is) by the *FailedError WaitReady
// returns for a Certificate whose issuance failed; the Manager tries again
// after a backoff (FailedError.NextAttempt).
var ErrIssuanceFailed = errors.New("certflow: issuance failed")

// ErrNotRunning is returned by WaitReady when no Run of the Manager is
// running to move the Certificate on (none started within RunGrace, or it
// stopped): without one, waiting would last for ever.
var ErrNotRunning = errors.New("certflow: manager not running")

// RunGrace is how long WaitReady waits for Run to start (or to start
// again) before it gives up with ErrNotRunning, so that
// `go m.Run(ctx); m.WaitReady(ctx, ref)` works however the goroutines are
// scheduled.
const RunGrace = 2 * time.Second

// FailedError is WaitReady's answer for a Certificate that failed: its
// issuance failed for its current spec (it waits out a backoff before the
// next attempt), or it cannot be issued until its spec changes. It names
// the resource whose failure explains it — the deepest failed one, such
// as the Challenge the CA found invalid — with that resource's reason and
// message. errors.Is matches ErrIssuanceFailed or ErrNeverReady.
type FailedError struct {
	// Certificate is the Certificate waited for.
	Certificate meta.Ref
	// Resource is the failed resource that explains the failure: a
	// Challenge, an Order, a CertificateRequest, an issuer, or the
	// Certificate itself.
	Resource meta.Ref
	// Reason and Message are Resource's own.
	Reason  meta.Reason
	Message string
	// Attempts counts the failed issuances since the last success (the
	// Certificate's failedIssuanceAttempts); 0 when it never started.
	Attempts int
	// NextAttempt is when the Manager tries again by itself; zero when it
	// will not before the spec changes.
	NextAttempt time.Time
	never       bool
}

func (e *FailedError) Error() string {
	what := "issuance failed"
	if e.never {
		what = "cannot be issued"
	}
	msg := fmt.Sprintf("certflow: %s: %s", e.Certificate, what)
	if e.Resource != e.Certificate {
		msg += fmt.Sprintf(" at %s", e.Resource)
	}
	msg += fmt.Sprintf(": %s: %s", e.Reason, e.Message)
	if !e.NextAttempt.IsZero() {
		msg += fmt.Sprintf(" (attempt %d; next at %s)", e.Attempts, e.NextAttempt.UTC().Format(time.RFC3339))
	}
	return msg
}

// Unwrap returns ErrNeverReady or ErrIssuanceFailed.
func (e *FailedError) Unwrap() error {
	if e.never {
		return ErrNeverReady
	}
	return ErrIssuanceFailed
}

// Renewal is what Renew asked for: the issuance of a new revision.
type Renewal struct {
	Certificate meta.Ref
	// Revision is the revision the renewal issues: the Certificate's
	// status.revision + 1 when Renew was called.
	Revision int
	// FailedAttempts is the Certificate's failedIssuanceAttempts when
	// Renew was called: one more means the renewal failed.
	FailedAttempts int
}

// WaitOption changes what WaitReady waits for.
type WaitOption interface{ apply(*waitOptions) }

type waitOptions struct {
	throughFailures bool
	renewal         *Renewal
}

type waitOptionFunc func(*waitOptions)

func (f waitOptionFunc) apply(o *waitOptions) { f(o) }

// WaitThroughFailures makes WaitReady wait through failures (the Manager's
// next attempts after their backoff, a spec fixed meanwhile) instead of
// returning the first one; only ctx, or a Manager that stops running,
// ends it early.
func WaitThroughFailures() WaitOption {
	return waitOptionFunc(func(o *waitOptions) { o.throughFailures = true })
}

// ForRenewal makes WaitReady wait until the renewal r is issued: the
// Certificate is Ready at r.Revision or later. A failed attempt after r was
// asked for is a failure, even when the Certificate stays Ready with its
// older revision.
func ForRenewal(r Renewal) WaitOption {
	return waitOptionFunc(func(o *waitOptions) { o.renewal = &r })
}

// WaitReady blocks until the Certificate named ref is Ready for its current
// spec (its Secret holds a valid certificate issued for this generation) and
// returns nil; or until it failed, and returns a *FailedError naming the
// resource that failed and why (see WaitThroughFailures to wait on); or
// until ctx is done, and returns ctx's error.
//
// The Certificate moves on only while a Manager runs: WaitReady is woken by
// this Manager's own reconciles as they write, and by its watch of the
// Store, so it sees changes made by any process sharing the Store, but it
// needs this Manager's Run. A Certificate already
// Ready or failed is answered without it; otherwise, when Run is not
// running (not started within RunGrace, or stopped), WaitReady returns an
// error matching ErrNotRunning instead of waiting for ever.
func (m *Manager) WaitReady(ctx context.Context, ref meta.Ref, opts ...WaitOption) error {
	var o waitOptions
	for _, opt := range opts {
		opt.apply(&o)
	}
	if o.renewal != nil && o.renewal.Certificate != (meta.Ref{}) && o.renewal.Certificate != ref {
		return fmt.Errorf("certflow: wait: renewal of %s is not one of %s", o.renewal.Certificate, ref)
	}
	// A Ready Certificate this Manager writes answers the wait as written:
	// it is what the Store holds at that moment, so reading it back (one
	// full Certificate read per issuance) tells nothing more. A failure is
	// read, as explaining it reads the Store anyway.
	changed, saw, answered, stop := m.changes.subscribeAnswered(ref, func(obj meta.Object) bool {
		c, ok := obj.(*certificate.Certificate)
		return !ok || o.ends(c)
	}, func(obj meta.Object) bool {
		c, ok := obj.(*certificate.Certificate)
		return ok && o.outcome(c) == waitReady
	})
	defer stop()
	var grace clockTimer
	defer grace.stop()
	// uid and generation are those of the version read last: a write
	// answers only for it or a later version of the same spec, and only
	// if made since that read (answered is asked before every read).
	var uid string
	var generation int64
	for {
		if answered(uid, generation) {
			return nil
		}
		c := &certificate.Certificate{}
		err := m.cfg.Store.Get(ctx, ref, c)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err != nil {
			saw("")
			uid, generation = "", 0
		} else {
			saw(c.ObjectMeta.ResourceVersion)
			uid, generation = c.ObjectMeta.UID, c.ObjectMeta.Generation
			if done, err := m.verdict(ctx, c, o); done {
				return err
			}
		}
		running, runChanged := m.run.state()
		var expired <-chan time.Time
		if running {
			grace.stop()
		} else {
			expired = grace.start(RunGrace)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		case <-runChanged:
		case <-expired:
			what := "does not exist"
			if err == nil {
				what = "is not Ready"
			}
			return fmt.Errorf("%w: %s %s and nothing moves it on", ErrNotRunning, ref, what)
		}
	}
}

// verdict decides whether waiting for c is over, and how it ended.
func (m *Manager) verdict(ctx context.Context, c *certificate.Certificate, o waitOptions) (bool, error) {
	switch o.outcome(c) {
	case waitReady:
		return true, nil
	case waitFailed:
		return true, m.failure(ctx, c)
	}
	return false, nil
}

type waitOutcome int

const (
	waitOn waitOutcome = iota
	waitReady
	waitFailed
)

// ends reports whether c ends the wait; it reads c alone (no Store), as
// the notifier asks it under its lock (waiter.ends).
func (o waitOptions) ends(c *certificate.Certificate) bool { return o.outcome(c) != waitOn }

// outcome is what c, as it is, makes of the wait.
func (o waitOptions) outcome(c *certificate.Certificate) waitOutcome {
	gen := c.ObjectMeta.Generation
	revision := 0
	if c.Status.Revision != nil {
		revision = *c.Status.Revision
	}
	ready := c.Status.Conditions.Get(meta.ConditionReady)
	if ready != nil && ready.Status == meta.ConditionTrue && ready.ObservedGeneration == gen &&
		(o.renewal == nil || revision >= o.renewal.Revision) {
		return waitReady
	}
	if o.throughFailures {
		return waitOn
	}
	failed := certificateFailed(c)
	if r := o.renewal; r != nil && c.Status.FailedIssuanceAttempts != nil && *c.Status.FailedIssuanceAttempts > r.FailedAttempts {
		// A renewal of a still valid certificate fails and the certificate
		// is Ready again at once, its Issuing condition gone: the count is
		// what tells.
		failed = true
	}
	if !failed {
		return waitOn
	}
	return waitFailed
}

// failure explains c's failure by the deepest failed resource below it.
func (m *Manager) failure(ctx context.Context, c *certificate.Certificate) *FailedError {
	ref := meta.RefOf(c)
	e := &FailedError{Certificate: ref, Resource: ref}
	if n := c.Status.FailedIssuanceAttempts; n != nil {
		e.Attempts = *n
	}
	ready := c.Status.Conditions.Get(meta.ConditionReady)
	issuing := c.Status.Conditions.Get(meta.ConditionIssuing)
	switch {
	case ready != nil && ready.Status == meta.ConditionFalse &&
		(ready.Reason == certificate.ReasonInvalid || ready.Reason == certificate.ReasonDuplicateSecretName):
		e.never, e.Reason, e.Message = true, ready.Reason, ready.Message
		return e
	case issuing != nil && issuing.Status == meta.ConditionFalse:
		e.Reason, e.Message = issuing.Reason, issuing.Message
	default:
		e.Reason, e.Message = certificate.ReasonFailed, "an issuance failed"
	}
	if at := c.Status.LastFailureTime; at != nil && e.Attempts > 0 {
		e.NextAttempt = at.Add(certificate.Backoff(e.Attempts, m.cfg.BackoffMin, m.cfg.BackoffMax))
	}
	tree, err := m.Status(ctx, ref)
	if err != nil {
		return e
	}
	// The issuer beside the chain explains a failure only when the chain
	// below the Certificate (its requests, orders, challenges) does not.
	var cause *StatusNode
	for _, child := range tree.Children {
		beside := child.Kind == meta.KindIssuer || child.Kind == meta.KindClusterIssuer
		if c := child.Cause(); c != nil && (cause == nil || !beside) {
			cause = c
		}
	}
	if cause != nil {
		e.Resource, e.Reason, e.Message = cause.Ref(), cause.Reason, cause.Message
	}
	return e
}

// clockTimer is a real-time timer started on demand: RunGrace bounds a
// wait for a goroutine to be scheduled, not a decision.
type clockTimer struct{ t *time.Timer }

// start arms the timer if it is not armed and returns its channel.
func (c *clockTimer) start(d time.Duration) <-chan time.Time {
	if c.t == nil {
		c.t = time.NewTimer(d)
	}
	return c.t.C
}

func (c *clockTimer) stop() {
	if c.t != nil {
		c.t.Stop()
		c.t = nil
	}
}
