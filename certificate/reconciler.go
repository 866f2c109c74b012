package certificate

import (
	"context"
	"fmt"
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
)

// Options tune the certificate reconciler. Zero values are defaults.
type Options struct {
	// BackoffMin and BackoffMax bound the wait after failed issuances
	// (min·2^(n−1) after the n-th, as cert-manager). If zero, 1 hour and 32
	// hours, cert-manager's defaults.
	BackoffMin, BackoffMax time.Duration
}

// Default failure backoff bounds, cert-manager's.
const (
	DefaultBackoffMin = time.Hour
	DefaultBackoffMax = 32 * time.Hour
)

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
		opts.BackoffMin = DefaultBackoffMin
	}
	if opts.BackoffMax == 0 {
		opts.BackoffMax = DefaultBackoffMax
	}
	return &Reconciler{deps: deps, opts: opts}
}

// Reconcile moves one Certificate forward: load a snapshot, decide a plan,
// make the key or CSR the plan asks for, execute it.
func (r *Reconciler) Reconcile(ctx context.Context, ref meta.Ref) (time.Time, error) {
	snap, err := r.load(ctx, ref)
	if err != nil || snap == nil {
		return time.Time{}, err
	}
	plan := decide(snap)
	done := reconcile.Observe(meta.KindCertificate, snap, &plan)
	if err := prepare(snap, &plan); err != nil {
		done(time.Time{}, err)
		return time.Time{}, err
	}
	next, err := reconcile.Execute(ctx, r.deps, plan)
	done(next, err)
	return next, err
}

// prepare does the two steps of a plan a decision cannot: generating a new
// private key and signing a CSR with the next key.
func prepare(s *Snapshot, p *reconcile.Plan) error {
	for _, obj := range p.Create {
		switch o := obj.(type) {
		case *secret.Secret:
			if o.ObjectMeta.Labels[LabelNextPrivateKey] == "true" {
				if err := fillNextKey(s.Cert, o); err != nil {
					return fmt.Errorf("certificate: generate private key: %w", err)
				}
			}
		case *request.CertificateRequest:
			if len(o.Spec.Request) > 0 {
				continue
			}
			key, _ := usableNextKey(s.Cert, s.NextKey)
			if key == nil {
				return fmt.Errorf("certificate: no next private key for %s", o.ObjectMeta.Name)
			}
			csr, err := buildCSR(&s.Cert.Spec, key.key)
			if err != nil {
				return err
			}
			o.Spec.Request = csr
		}
	}
	return nil
}

func (s Status) deepCopy() Status {
	out := s
	out.Conditions = append(meta.Conditions(nil), s.Conditions...)
	return out
}
