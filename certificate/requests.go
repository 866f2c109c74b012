package certificate

import (
	"context"
	"errors"
	"strconv"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

func (r *Reconciler) getRequest(ctx context.Context, cert *Certificate, name string) (*request.CertificateRequest, error) {
	req := &request.CertificateRequest{}
	err := r.deps.Store.Get(ctx, meta.Ref{Kind: meta.KindCertificateRequest, Namespace: cert.ObjectMeta.Namespace, Name: name}, req)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return req, err
}

func (r *Reconciler) createRequest(ctx context.Context, cert *Certificate, key *nextKey) error {
	csr, err := buildCSR(&cert.Spec, key.key)
	if err != nil {
		return err
	}
	usages := make([]string, 0, len(cert.Spec.Usages))
	for _, u := range cert.Spec.Usages {
		usages = append(usages, string(u))
	}
	d := meta.Duration{Duration: cert.Spec.EffectiveDuration()}
	req := &request.CertificateRequest{
		ObjectMeta: meta.ObjectMeta{
			Namespace: cert.ObjectMeta.Namespace,
			Name:      requestName(cert),
			Labels:    copyMap(cert.ObjectMeta.Labels),
			Annotations: map[string]string{
				secret.AnnotationCertificateName: cert.ObjectMeta.Name,
				AnnotationRevision:               strconv.Itoa(revision(cert) + 1),
				request.AnnotationPrivateKeyName: key.name,
				AnnotationSpecHash:               SpecHash(&cert.Spec),
			},
			OwnerRefs: []meta.Ref{meta.RefOf(cert)},
		},
		Spec: request.Spec{
			Request:   csr,
			IssuerRef: cert.Spec.IssuerRef,
			Duration:  &d,
			IsCA:      cert.Spec.IsCA,
			Usages:    usages,
		},
	}
	if err := r.deps.Store.Create(ctx, req); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		return err
	}
	r.deps.Events.Event(meta.RefOf(cert), meta.EventNormal, ReasonRequested,
		"Created new CertificateRequest resource "+req.ObjectMeta.Name)
	return nil
}

func (r *Reconciler) deleteRequest(ctx context.Context, req *request.CertificateRequest) error {
	err := r.deps.Store.Delete(ctx, meta.RefOf(req), "")
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// requestMatches reports whether req was made for cert's current spec,
// issuer and next key.
func requestMatches(req *request.CertificateRequest, cert *Certificate, key *nextKey) bool {
	if req.ObjectMeta.Annotations[AnnotationSpecHash] != SpecHash(&cert.Spec) ||
		req.Spec.IssuerRef.Resolve(req.ObjectMeta.Namespace) != cert.Spec.IssuerRef.Resolve(cert.ObjectMeta.Namespace) {
		return false
	}
	if key == nil {
		// Without its key the request can only be finished if it failed.
		return requestFailed(req)
	}
	pub, err := pki.CSRPublicKey(req.Spec.Request)
	return err == nil && pki.PublicKeysEqual(key.key.Public(), pub)
}

func requestIssued(req *request.CertificateRequest) bool {
	c := req.Status.Conditions.Get(meta.ConditionReady)
	return c != nil && c.Status == meta.ConditionTrue && req.ObjectMeta.Annotations[AnnotationRejected] == ""
}

func requestFailed(req *request.CertificateRequest) bool {
	if req.ObjectMeta.Annotations[AnnotationRejected] != "" || req.Status.Conditions.IsTrue(meta.ConditionInvalidRequest) {
		return true
	}
	c := req.Status.Conditions.Get(meta.ConditionReady)
	return c != nil && c.Status == meta.ConditionFalse && (c.Reason == request.ReasonFailed || c.Reason == request.ReasonDenied)
}

func requestFinal(req *request.CertificateRequest) bool {
	return requestIssued(req) || requestFailed(req)
}

func requestFailure(req *request.CertificateRequest) string {
	if m := req.ObjectMeta.Annotations[AnnotationRejected]; m != "" {
		return m
	}
	if c := req.Status.Conditions.Get(meta.ConditionReady); c != nil && c.Message != "" {
		return c.Message
	}
	if c := req.Status.Conditions.Get(meta.ConditionInvalidRequest); c != nil {
		return c.Message
	}
	return "unknown failure"
}

// pruneRequests deletes the requests beyond revisionHistoryLimit. Request
// names carry their revision, so it walks back from the oldest one to keep
// until it finds a gap, instead of listing every request of the namespace.
func (r *Reconciler) pruneRequests(ctx context.Context, cert *Certificate) error {
	for rev := revision(cert) - cert.Spec.HistoryLimit(); rev > 0; rev-- {
		ref := meta.Ref{Kind: meta.KindCertificateRequest, Namespace: cert.ObjectMeta.Namespace,
			Name: cert.ObjectMeta.Name + "-" + strconv.Itoa(rev)}
		err := r.deps.Store.Delete(ctx, ref, "")
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
