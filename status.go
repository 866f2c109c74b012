package certflow

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// Status returns the tree below a Certificate, Issuer or ClusterIssuer:
// the Certificate's issuer, Secret, CertificateRequests, Orders and
// Challenges with their conditions, reasons and recent events. For an issuer
// the tree lists the Certificates that use it.
func (m *Manager) Status(ctx context.Context, ref meta.Ref) (*StatusNode, error) {
	switch ref.Kind {
	case meta.KindCertificate:
		return m.certificateStatus(ctx, ref, true)
	case meta.KindIssuer, meta.KindClusterIssuer:
		n, err := m.issuerStatus(ctx, ref)
		if err != nil {
			return nil, err
		}
		certs, bad, err := listFor[certificate.Certificate](ctx, m.cfg.Store, store.ListOptions{Kind: meta.KindCertificate, Namespace: ref.Namespace})
		if err != nil {
			return nil, err
		}
		n.Children = append(n.Children, bad...)
		for _, c := range certs {
			if !usesIssuer(c, ref) {
				continue
			}
			child, err := m.certificateStatus(ctx, meta.RefOf(c), false)
			if err != nil {
				return nil, err
			}
			n.Children = append(n.Children, child)
		}
		return n, nil
	}
	return nil, fmt.Errorf("certflow: status: unsupported kind %q", ref.Kind)
}

func (m *Manager) certificateStatus(ctx context.Context, ref meta.Ref, withIssuer bool) (*StatusNode, error) {
	c := &certificate.Certificate{}
	if err := m.cfg.Store.Get(ctx, ref, c); err != nil {
		if errors.Is(err, store.ErrCorrupt) {
			return corruptNode(ref, err), nil
		}
		return nil, err
	}
	n := m.node(ctx, c, c.Status.Conditions)
	s := &c.Spec
	n.add("DNS Names", strings.Join(s.DNSNames, ", "))
	n.add("IP Addresses", strings.Join(s.IPAddresses, ", "))
	n.add("Common Name", s.CommonName)
	issRef := s.IssuerRef.Resolve(c.ObjectMeta.Namespace)
	n.add("Issuer", fmt.Sprintf("%s %s", issRef.Kind, issRef.Name))
	n.addIssuerList(c)
	n.add("Secret Name", s.SecretName)
	n.addTime("Not Before", c.Status.NotBefore)
	n.addTime("Not After", c.Status.NotAfter)
	n.addTime("Renewal Time", c.Status.RenewalTime)
	if b := certificate.RenewalBasisOf(c); b != "" {
		n.add("Renewal Basis", string(b)+": "+b.Explain())
	}
	n.addRenewalInfo(c.Status.ACME)
	if c.Status.Revision != nil {
		n.add("Revision", strconv.Itoa(*c.Status.Revision))
	}
	if c.Status.FailedIssuanceAttempts != nil {
		n.add("Failed Issuance Attempts", strconv.Itoa(*c.Status.FailedIssuanceAttempts))
	}
	n.addTime("Last Failure Time", c.Status.LastFailureTime)
	n.Failed = certificateFailed(c)
	if at, ok := m.timers.Scheduled(ref); ok {
		n.add("Next Reconcile", at.UTC().Format(time.RFC3339))
	}
	if withIssuer {
		in, err := m.issuerStatus(ctx, issRef)
		if err != nil {
			return nil, err
		}
		n.Children = append(n.Children, in)
		more, err := m.fallbackIssuerNodes(ctx, c)
		if err != nil {
			return nil, err
		}
		n.Children = append(n.Children, more...)
	}
	n.Children = append(n.Children, m.secretStatus(ctx, meta.Ref{Kind: meta.KindSecret, Namespace: ref.Namespace, Name: s.SecretName}))
	reqs, bad, err := listFor[request.CertificateRequest](ctx, m.cfg.Store, store.ListOptions{
		Kind: meta.KindCertificateRequest, Namespace: ref.Namespace, Owner: &ref})
	if err != nil {
		return nil, err
	}
	defer func() { n.Children = append(n.Children, bad...) }()
	sort.Slice(reqs, func(i, j int) bool { return reqs[i].ObjectMeta.Name < reqs[j].ObjectMeta.Name })
	for _, r := range reqs {
		rn, err := m.requestStatus(ctx, r)
		if err != nil {
			return nil, err
		}
		if len(s.FallbackIssuerRefs) > 0 {
			rn.addRequestIssuer(r)
		}
		n.Children = append(n.Children, rn)
	}
	return n, nil
}

func (m *Manager) issuerStatus(ctx context.Context, ref meta.Ref) (*StatusNode, error) {
	iss, err := issuer.Get(ctx, m.cfg.Store, ref)
	if errors.Is(err, store.ErrNotFound) {
		return &StatusNode{Kind: ref.Kind, Namespace: ref.Namespace, Name: ref.Name, State: StateMissing,
			Reason: ReasonNotFound, Message: fmt.Sprintf("%s %q does not exist", ref.Kind, ref.Name)}, nil
	}
	if errors.Is(err, store.ErrCorrupt) {
		return corruptNode(ref, err), nil
	}
	if err != nil {
		return nil, err
	}
	st := iss.IssuerStatus()
	n := m.node(ctx, iss, st.Conditions)
	// An issuer whose spec cannot work stays so until it changes; one
	// that failed to register is retried.
	n.Failed = n.State == StateNotReady && n.Reason == issuer.ReasonInvalidConfig
	spec := iss.IssuerSpec()
	n.add("Type", string(spec.Type()))
	if spec.ACME != nil {
		n.add("Server", spec.ACME.Server)
		n.add("Email", spec.ACME.Email)
	}
	if spec.CA != nil {
		n.add("CA Secret", spec.CA.SecretName)
	}
	if st.ACME != nil {
		n.add("Account URI", st.ACME.URI)
	}
	return n, nil
}

func (m *Manager) secretStatus(ctx context.Context, ref meta.Ref) *StatusNode {
	n := &StatusNode{Kind: meta.KindSecret, Namespace: ref.Namespace, Name: ref.Name}
	s := &secret.Secret{}
	if err := m.cfg.Store.Get(ctx, ref, s); err != nil {
		n.State, n.Reason, n.Message = StateMissing, ReasonNotFound, err.Error()
		if errors.Is(err, store.ErrCorrupt) {
			n.State, n.Reason = StateCorrupt, ReasonCorrupt
		}
		return n
	}
	chain, err := pki.ParseChain(s.Data[secret.TLSCertKey])
	if err != nil {
		n.State, n.Reason, n.Message = StateNotReady, ReasonInvalidChain, err.Error()
		return n
	}
	leaf := chain[0]
	n.State, n.Reason = StateReady, ReasonValidChain
	n.add("Subject", leaf.Subject.String())
	n.add("Issuer", leaf.Issuer.String())
	n.add("DNS Names", strings.Join(leaf.DNSNames, ", "))
	n.add("Serial", leaf.SerialNumber.Text(16))
	n.add("Not After", leaf.NotAfter.UTC().Format(time.RFC3339))
	n.add("Chain Length", strconv.Itoa(len(chain)))
	return n
}

func (m *Manager) requestStatus(ctx context.Context, r *request.CertificateRequest) (*StatusNode, error) {
	n := m.node(ctx, r, r.Status.Conditions)
	if n.Reason == ReasonNotStarted {
		n.Reason = request.ReasonPending
	}
	n.Failed = r.Status.FailureTime != nil
	n.addTime("Failure Time", r.Status.FailureTime)
	owner := meta.RefOf(r)
	orders, bad, err := listFor[order.Order](ctx, m.cfg.Store, store.ListOptions{
		Kind: meta.KindOrder, Namespace: owner.Namespace, Owner: &owner})
	if err != nil {
		return nil, err
	}
	defer func() { n.Children = append(n.Children, bad...) }()
	for _, o := range orders {
		on, err := m.orderStatus(ctx, o)
		if err != nil {
			return nil, err
		}
		n.Children = append(n.Children, on)
	}
	return n, nil
}

// node starts a StatusNode for obj, summarising its Ready condition.
// Events that cannot be read leave the node without events.
func (m *Manager) node(ctx context.Context, obj meta.Object, conds meta.Conditions) *StatusNode {
	ref := meta.RefOf(obj)
	evs, _ := m.Events(ctx, ref)
	n := &StatusNode{Kind: ref.Kind, Namespace: ref.Namespace, Name: ref.Name, State: StatePending,
		Reason: ReasonNotStarted, Conditions: conds, Events: evs}
	if c := conds.Get(meta.ConditionReady); c != nil {
		n.State = StateNotReady
		if c.Status == meta.ConditionTrue {
			n.State = StateReady
		}
		n.Reason, n.Message = c.Reason, c.Message
	}
	return n
}

// certificateFailed reports whether c's issuance failed for its current
// spec: its last attempt failed (it waits out a backoff), its spec is
// invalid, or another Certificate owns its Secret.
func certificateFailed(c *certificate.Certificate) bool {
	gen := c.ObjectMeta.Generation
	if i := c.Status.Conditions.Get(meta.ConditionIssuing); i != nil && i.Status == meta.ConditionFalse &&
		i.Reason == certificate.ReasonFailed && i.ObservedGeneration == gen {
		return true
	}
	r := c.Status.Conditions.Get(meta.ConditionReady)
	return r != nil && r.Status == meta.ConditionFalse && r.ObservedGeneration == gen &&
		(r.Reason == certificate.ReasonInvalid || r.Reason == certificate.ReasonDuplicateSecretName)
}

func (n *StatusNode) addTime(key string, t *time.Time) {
	if t != nil {
		n.add(key, t.UTC().Format(time.RFC3339))
	}
}

// corruptNode stands for a stored object that cannot be read.
func corruptNode(ref meta.Ref, err error) *StatusNode {
	return &StatusNode{Kind: ref.Kind, Namespace: ref.Namespace, Name: ref.Name, State: StateCorrupt,
		Reason: ReasonCorrupt, Message: err.Error(), Failed: true}
}

// listFor lists the objects of one Go type for a status tree. An object
// that cannot be read becomes a corrupt node instead of failing the whole
// tree. A Store that cannot read an object cannot tell its owner either, so
// with opts.Owner set the corrupt nodes are every unreadable object of the
// kind in the namespace.
func listFor[T any, PT interface {
	*T
	meta.Object
}](ctx context.Context, r store.Reader, opts store.ListOptions) ([]PT, []*StatusNode, error) {
	res, err := r.List(ctx, opts)
	var bad []*StatusNode
	if err != nil {
		if !errors.Is(err, store.ErrCorrupt) {
			return nil, nil, err
		}
		errs := []error{err}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			errs = j.Unwrap()
		}
		for _, e := range errs {
			var ce *store.CorruptError
			if errors.As(e, &ce) {
				bad = append(bad, corruptNode(ce.Ref, e))
			} else {
				bad = append(bad, corruptNode(meta.Ref{Kind: opts.Kind, Namespace: opts.Namespace, Name: "?"}, e))
			}
		}
	}
	out := make([]PT, 0, len(res.Items))
	for _, raw := range res.Items {
		obj := PT(new(T))
		if err := raw.Decode(obj); err != nil {
			bad = append(bad, corruptNode(raw.Ref, err))
			continue
		}
		out = append(out, obj)
	}
	return out, bad, nil
}
