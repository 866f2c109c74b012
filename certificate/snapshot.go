package certificate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// LabelSecretName on a Certificate carries its spec.secretName (hashed when
// longer than a label value may be), so the Certificates naming one Secret
// are listed without decoding the others.
const LabelSecretName = "certflow.io/secret-name"

// secretNameLabel is the value of LabelSecretName for a secretName: the name
// itself when it fits a Kubernetes label value (63 characters), else a hash.
func secretNameLabel(name string) string {
	if len(name) <= 63 {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return "sha256-" + hex.EncodeToString(sum[:20])
}

// Default labels c with its Secret's name (LabelSecretName); Manager.Apply
// calls it before storing c, so the Certificates naming one Secret find
// each other from the moment they exist. It also annotates c with the names
// its validations may arrive for (AnnotationValidationNames).
func (c *Certificate) Default() {
	// A copy: the caller's map may be shared by other objects.
	labels := maps.Clone(c.ObjectMeta.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[LabelSecretName] = secretNameLabel(c.Spec.SecretName)
	c.ObjectMeta.Labels = labels
	c.ObjectMeta.Annotations = withValidationNames(c)
}

var _ meta.Defaulter = (*Certificate)(nil)

// namesCurrent reports whether c's AnnotationValidationNames, when it has
// one, lists its spec's names: a Certificate changed in the Store without
// Default (not through Manager.Apply) keeps the old ones, and a replica's
// validation-miss gate trusts them. One without the annotation (stored
// before it existed) is left as it is: the gate then opens all names.
func (c *Certificate) namesCurrent() bool {
	v, ok := c.ObjectMeta.Annotations[AnnotationValidationNames]
	return !ok || v == validationNames(c)
}

func (c *Certificate) labelled() bool {
	return c.ObjectMeta.Labels[LabelSecretName] == secretNameLabel(c.Spec.SecretName)
}

// Snapshot is everything a Certificate's decision reads, loaded by the
// reconciler before deciding: the decision itself never touches the Store
// or the clock.
type Snapshot struct {
	Cert *Certificate
	// Secret is spec.secretName; nil when it does not exist.
	Secret *secret.Secret
	// NextRequest is the CertificateRequest of the issuance in progress,
	// <name>-<revision+1>; nil when it does not exist.
	NextRequest *request.CertificateRequest
	// CurrentRequest produced the current Secret, <name>-<revision>; nil
	// before the first issuance or once pruned.
	CurrentRequest *request.CertificateRequest
	// NextKey is the temporary Secret holding the next private key.
	NextKey *secret.Secret
	// Siblings are the other Certificates of the namespace naming the same
	// secretName (not being deleted).
	Siblings []*Certificate
	// Stale are stored requests beyond revisionHistoryLimit.
	Stale []meta.Ref
	Now   time.Time
	// Opts are the reconciler's options, defaults applied.
	Opts Options
	// ARI fetches renewal information for the Secret's leaf; nil when the
	// issuer is not ACME (or the Manager does not ask).
	ARI RenewalInfoSource `json:"-"`
	// rnd draws the random parts of a renewalInfo check (rnd(n) ∈ [0, n)).
	rnd func(n int64) int64
	// parse parses keys and CSRs once per object version; nil parses each
	// time (the decision is the same either way).
	parse *parsers
}

// load reads the snapshot of the Certificate at ref; nil when it is gone.
func (r *Reconciler) load(ctx context.Context, ref meta.Ref) (*Snapshot, error) {
	cert := &Certificate{}
	if err := r.deps.Store.Get(ctx, ref, cert); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	s := &Snapshot{Cert: cert, Opts: r.opts, parse: r.parse}
	ns := cert.ObjectMeta.Namespace
	var err error
	if cert.Spec.SecretName != "" {
		if s.Secret, err = getOpt[secret.Secret](ctx, r.deps.Store, meta.Ref{Kind: meta.KindSecret, Namespace: ns, Name: cert.Spec.SecretName}); err != nil {
			return nil, err
		}
	}
	if s.NextRequest, err = getOpt[request.CertificateRequest](ctx, r.deps.Store, requestRef(cert, revision(cert)+1)); err != nil {
		return nil, err
	}
	if rev := revision(cert); rev > 0 {
		if s.CurrentRequest, err = getOpt[request.CertificateRequest](ctx, r.deps.Store, requestRef(cert, rev)); err != nil {
			return nil, err
		}
	}
	if s.NextKey, err = getOpt[secret.Secret](ctx, r.deps.Store, meta.Ref{Kind: meta.KindSecret, Namespace: ns, Name: nextKeyName(cert)}); err != nil {
		return nil, err
	}
	if cert.Spec.SecretName != "" && needSiblings(cert, s.Secret) {
		if s.Siblings, err = r.siblings(ctx, cert); err != nil {
			return nil, err
		}
	}
	// Request names carry their revision: walk back from the oldest one to
	// keep until a gap, instead of listing every request of the namespace.
	for rev := revision(cert) - cert.Spec.HistoryLimit(); rev > 0; rev-- {
		ref := requestRef(cert, rev)
		old, err := getOpt[request.CertificateRequest](ctx, r.deps.Store, ref)
		if err != nil {
			return nil, err
		}
		if old == nil {
			break
		}
		s.Stale = append(s.Stale, ref)
	}
	if err := r.loadARI(ctx, s); err != nil {
		return nil, err
	}
	s.rnd = rand.Int64N
	s.Now = r.deps.Clock.Now()
	return s, nil
}

// loadARI sets s.ARI when the leaf in s.Secret is one to ask its CA
// about: RenewalInfo is configured and the leaf's issuer is an ACME one.
func (r *Reconciler) loadARI(ctx context.Context, s *Snapshot) error {
	s.ARI = nil
	if r.opts.RenewalInfo == nil || s.Secret == nil {
		return nil
	}
	// The issuer of the leaf: only its CA knows about it.
	ref := secretIssuer(s.Cert, s.Secret.ObjectMeta.Annotations).Resolve(s.Cert.ObjectMeta.Namespace)
	iss, err := r.opts.Issuers.Get(ctx, r.deps.Store, ref)
	if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, issuer.ErrUnsupported) {
		return err
	}
	if err == nil && iss.IssuerSpec().ACME != nil {
		s.ARI = r.opts.RenewalInfo
	}
	return nil
}

// needSiblings says when the other Certificates naming the same Secret are
// worth listing: until the Secret names this Certificate (cert-manager's
// rule puts that annotation first, and an up-to-date Certificate's visits
// then skip the list), since an older sibling may appear at any time before
// (renamed onto this Secret, or stored without its label) and must stop
// this issuance. The label index makes the list cost what the siblings do.
func needSiblings(cert *Certificate, sec *secret.Secret) bool {
	if sec == nil {
		return true
	}
	name, ok := sec.ObjectMeta.Annotations[secret.AnnotationCertificateName]
	return !ok || name != cert.ObjectMeta.Name
}

// siblings finds the other Certificates naming cert's Secret.
func (r *Reconciler) siblings(ctx context.Context, cert *Certificate) ([]*Certificate, error) {
	all, err := r.labelled(ctx, cert.ObjectMeta.Namespace, secretNameLabel(cert.Spec.SecretName), cert.ObjectMeta.Name)
	if err != nil {
		return nil, err
	}
	var out []*Certificate
	for _, c := range all {
		if c.ObjectMeta.Name != cert.ObjectMeta.Name && c.ObjectMeta.DeletionTime == nil && c.Spec.SecretName == cert.Spec.SecretName {
			out = append(out, c)
		}
	}
	return out, nil
}

// labelled returns the Certificates of ns labelled LabelSecretName=label:
// those Options.Siblings names (but except, not worth reading), read one by
// one, or else a labelled list.
func (r *Reconciler) labelled(ctx context.Context, ns, label, except string) ([]*Certificate, error) {
	if r.opts.Siblings == nil {
		all, err := store.ListOf[Certificate](ctx, r.deps.Store, store.ListOptions{Kind: meta.KindCertificate,
			Namespace: ns, Labels: map[string]string{LabelSecretName: label}})
		if err != nil {
			return nil, fmt.Errorf("certificate: list certificates: %w", err)
		}
		return all, nil
	}
	var all []*Certificate
	for _, name := range r.opts.Siblings(ns, label) {
		if name == except {
			continue
		}
		c, err := getOpt[Certificate](ctx, r.deps.Store, meta.Ref{Kind: meta.KindCertificate, Namespace: ns, Name: name})
		if err != nil {
			return nil, fmt.Errorf("certificate: read certificate: %w", err)
		}
		// Gone meanwhile, or relabelled since the caller looked.
		if c != nil && c.ObjectMeta.Labels[LabelSecretName] == label {
			all = append(all, c)
		}
	}
	return all, nil
}

func getOpt[T any, PT interface {
	*T
	meta.Object
}](ctx context.Context, st store.Store, ref meta.Ref) (PT, error) {
	obj := PT(new(T))
	if err := st.Get(ctx, ref, obj); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	return obj, nil
}

func revision(cert *Certificate) int {
	if cert.Status.Revision == nil {
		return 0
	}
	return *cert.Status.Revision
}

func requestName(cert *Certificate) string {
	return cert.ObjectMeta.Name + "-" + strconv.Itoa(revision(cert)+1)
}

func requestRef(cert *Certificate, rev int) meta.Ref {
	return meta.Ref{Kind: meta.KindCertificateRequest, Namespace: cert.ObjectMeta.Namespace,
		Name: cert.ObjectMeta.Name + "-" + strconv.Itoa(rev)}
}
