package certificate

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// Options tune the certificate reconciler. Zero values are defaults.
type Options struct {
	// BackoffMin and BackoffMax bound the wait after failed issuances
	// (min·2^(n−1) after the n-th, as cert-manager). If zero, 1 hour and 32
	// hours, cert-manager's defaults.
	BackoffMin, BackoffMax time.Duration
	// Siblings, if set, returns the names of the Certificates of namespace
	// labelled LabelSecretName=label, as far as the caller has seen them
	// (the Manager keeps them from its Store watch, which delivers an older
	// Certificate before a newer one is reconciled). The reconciler then
	// reads just those instead of listing the namespace's Certificates by
	// label, which a Store without a label index (file, etcd) answers by
	// reading every Certificate. If nil, it lists.
	Siblings func(namespace, label string) []string `json:"-"`
	// RenewalInfo, if set, fetches ACME Renewal Information (RFC 9773) for
	// every certificate of an ACME issuer, whose suggested window then
	// decides the renewal time. If nil, no certificate asks.
	RenewalInfo RenewalInfoSource `json:"-"`
	// CSRs, if set, is told of every CSR the reconciler signs, so the
	// request reconciler sharing it neither parses nor verifies it again.
	CSRs *pki.CSRMemo `json:"-"`
	// Chains, if set, parses each issued chain once for this reconciler
	// and the request reconciler sharing it. If nil, each use parses it.
	Chains *pki.ChainMemo `json:"-"`
	// Issuers, if set, reads the issuer of each visit while the Store
	// holds the version read before (issuer.Memo); what it returns is
	// read only. If nil, each visit decodes it.
	Issuers *issuer.Memo `json:"-"`
}

// Default failure backoff bounds, cert-manager's.
const (
	DefaultBackoffMin = time.Hour
	DefaultBackoffMax = 32 * time.Hour
)

// Reconciler decides when each Certificate is issued and carries issuance
// through its CertificateRequest into the Secret.
type Reconciler struct {
	deps  reconcile.Deps
	opts  Options
	parse *parsers
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
	return &Reconciler{deps: deps, opts: opts, parse: &parsers{chains: opts.Chains, shared: opts.CSRs}}
}

// Reconcile moves one Certificate forward: load a snapshot, decide a plan,
// make the key or CSR the plan asks for, execute it.
func (r *Reconciler) Reconcile(ctx context.Context, ref meta.Ref) (time.Time, error) {
	snap, err := r.load(ctx, ref)
	if err != nil || snap == nil {
		return time.Time{}, err
	}
	plan := decide(snap)
	done := r.deps.Observe(meta.KindCertificate, snap, &plan)
	generated, err := prepare(snap, &plan, r.opts.CSRs)
	if err != nil {
		done(time.Time{}, err)
		return time.Time{}, err
	}
	deps := r.deps
	if keyAndRequest(&plan) {
		deps.Store = &keyFirst{Store: deps.Store}
	}
	out, err := reconcile.ExecuteOutcome(ctx, deps, plan)
	next := out.Next
	done(next, err)
	if err != nil {
		return next, err
	}
	if !out.Stored() {
		// A child was there already: settle would decide on the plan's.
		return out.Requeue(r.deps.Clock.Now()), nil
	}
	r.rememberKeys(snap, &plan, generated)
	if plan.Idle() {
		// A visit that finds it at rest and changes nothing (the start's,
		// one a watch queued) parsed its Secret and request for that
		// decision alone: they go as after the write that brought it to
		// rest (rest.go).
		r.rest(snap)
	}
	if secretOnly(snap, &plan) {
		return r.afterSecret(ctx, snap, &plan, next)
	}
	return r.settle(ctx, snap, &plan, next)
}

// rememberKeys records the key of each Secret p stored holding a key the
// visit already has in hand (the one prepare generated, or the next key
// moved into the Certificate's Secret in the spec's encoding), so the
// visits that read them back do not parse them again.
func (r *Reconciler) rememberKeys(s *Snapshot, p *reconcile.Plan, generated *generatedKey) {
	var known []crypto.Signer
	if generated != nil {
		known = append(known, generated.key)
		r.parse.pems.remember(generated.key, true, generated.pem) // as fillNextKey encoded it
	}
	if s.NextKey != nil {
		if key, err := r.parse.key(s.NextKey); err == nil {
			known = append(known, key)
		}
	}
	if len(known) == 0 {
		return
	}
	stored := slices.Clone(p.Create)
	if p.Write {
		stored = append(stored, p.Object)
	}
	for _, obj := range stored {
		sec, ok := obj.(*secret.Secret)
		if !ok || len(sec.Data[secret.TLSKeyKey]) == 0 {
			continue
		}
		if key := r.parse.keyIn(sec.Data[secret.TLSKeyKey], known); key != nil {
			r.parse.rememberKey(sec, key)
		}
	}
}

// keyIn returns the one of keys that pemKey encodes (PKCS#8, or the
// algorithm's own form), or nil.
func (p *parsers) keyIn(pemKey []byte, keys []crypto.Signer) crypto.Signer {
	for _, key := range keys {
		for _, pkcs8 := range []bool{true, false} {
			if enc, err := p.encodeKey(key, pkcs8); err == nil && bytes.Equal(enc, pemKey) {
				return key
			}
		}
	}
	return nil
}

// keyAndRequest reports whether p creates the next key and the request made
// for it.
func keyAndRequest(p *reconcile.Plan) bool {
	var key, req bool
	for _, obj := range p.Create {
		switch o := obj.(type) {
		case *secret.Secret:
			key = key || o.ObjectMeta.Labels[LabelNextPrivateKey] == "true"
		case *request.CertificateRequest:
			req = true
		}
	}
	return key && req
}

// keyFirst executes a plan that creates the next key and then its request:
// when the key's name is already taken (another replica stored its own key
// since the snapshot), the request, signed with the key that was not stored,
// is not created; the conflict has the Certificate looked at again at once.
type keyFirst struct {
	store.Store
	raced bool
}

// Unwrap returns the Store written to, so that what it offers beyond
// store.Store is found through keyFirst (store.AsLeaseWatcher).
func (s *keyFirst) Unwrap() store.Store { return s.Store }

var _ store.MetaReader = (*keyFirst)(nil)

// GetMeta passes the version check before the plan (reconcile's fresh) on
// to the Store's metadata read: embedding store.Store does not promote it,
// and the check would decode the whole Certificate by Get.
func (s *keyFirst) GetMeta(ctx context.Context, ref meta.Ref, newObject func() meta.Object) (meta.ObjectMeta, error) {
	return store.GetMetaOf(ctx, s.Store, ref, newObject)
}

func (s *keyFirst) Create(ctx context.Context, obj meta.Object) error {
	if _, ok := obj.(*request.CertificateRequest); ok && s.raced {
		return fmt.Errorf("certificate: next private key stored by someone else: %w", store.ErrConflict)
	}
	err := s.Store.Create(ctx, obj)
	if sec, ok := obj.(*secret.Secret); ok && sec.ObjectMeta.Labels[LabelNextPrivateKey] == "true" && errors.Is(err, store.ErrAlreadyExists) {
		s.raced = true
	}
	return err
}

// generatedKey is a private key prepare generated, and its PEM as stored.
type generatedKey struct {
	key crypto.Signer
	pem []byte
}

// prepare does the two steps of a plan a decision cannot: generating a new
// private key and signing a CSR with the next key (told to csrs). It
// returns the key it generated, if any.
func prepare(s *Snapshot, p *reconcile.Plan, csrs *pki.CSRMemo) (*generatedKey, error) {
	// The next key the plan's request is made for: the stored one, or the
	// one the plan creates just before it.
	keySecret := s.NextKey
	var generated *generatedKey
	for _, obj := range p.Create {
		switch o := obj.(type) {
		case *secret.Secret:
			if o.ObjectMeta.Labels[LabelNextPrivateKey] == "true" {
				key, err := fillNextKey(s.Cert, o)
				if err != nil {
					return nil, fmt.Errorf("certificate: generate private key: %w", err)
				}
				if key != nil {
					generated = &generatedKey{key: key, pem: o.Data[secret.TLSKeyKey]}
				}
				keySecret = o
			}
		case *request.CertificateRequest:
			if len(o.Spec.Request) > 0 {
				continue
			}
			var key crypto.Signer
			if generated != nil && keySecret != s.NextKey {
				// Made just now for this revision and spec: not parsed back.
				key = generated.key
			} else if next, _ := usableNextKey(s.Cert, keySecret, nil); next != nil {
				key = next.key
			}
			if key == nil {
				return nil, fmt.Errorf("certificate: no next private key for %s", o.ObjectMeta.Name)
			}
			csr, err := buildCSR(&s.Cert.Spec, key)
			if err != nil {
				return nil, err
			}
			csrs.Made(csr)
			o.Spec.Request = csr
		}
	}
	return generated, nil
}

func (s Status) deepCopy() Status {
	out := s
	out.Conditions = append(meta.Conditions(nil), s.Conditions...)
	out.SkippedIssuers = append([]SkippedIssuer(nil), s.SkippedIssuers...)
	if s.IssuedBy != nil {
		r := *s.IssuedBy
		out.IssuedBy = &r
	}
	if s.ACME != nil {
		a := *s.ACME
		if a.ARI != nil {
			ari := *a.ARI
			a.ARI = &ari
		}
		out.ACME = &a
	}
	return out
}
