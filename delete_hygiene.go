package certflow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/store"
)

// AnnotationRevokeOnDelete, set to "true" on a Certificate, makes
// Manager.Delete revoke the certificate in its Secret (reason
// cessationOfOperation, signed by the issuing account) before the
// Certificate is deleted. A revocation the CA refuses keeps the
// Certificate: remove the annotation to delete it without revoking.
const AnnotationRevokeOnDelete = "acme.certflow.io/revoke-on-delete"

// deactivateTimeout bounds the deactivation of a deleted Certificate's
// pending authorizations: hygiene, not worth holding Delete for long.
const deactivateTimeout = 30 * time.Second

// pendingAuthz is an authorization a deleted Certificate's order left
// pending at the CA.
type pendingAuthz struct {
	issuer meta.Ref
	url    string
}

// beforeDelete does what deleting the object named ref asks first: for a
// Certificate, revoke it if AnnotationRevokeOnDelete says so, and list the
// authorizations its unfinished orders left pending.
func (m *Manager) beforeDelete(ctx context.Context, ref meta.Ref) ([]pendingAuthz, error) {
	if ref.Kind != meta.KindCertificate {
		return nil, nil
	}
	c := &certificate.Certificate{}
	if err := m.cfg.Store.Get(ctx, ref, c); err != nil {
		return nil, nil // Delete itself reports a missing or unreadable object
	}
	if c.ObjectMeta.Annotations[AnnotationRevokeOnDelete] == "true" {
		leaf, err := m.revokeIssued(ctx, c, RevocationCessationOfOperation, revokeOptions{})
		switch {
		case err == nil:
			m.cfg.Logger.Info(fmt.Sprintf("revoked the certificate (serial %x) of a Certificate being deleted", leaf.SerialNumber),
				"kind", ref.Kind, "namespace", ref.Namespace, "name", ref.Name)
		case errors.Is(err, ErrAlreadyRevoked), errors.Is(err, ErrNoCertificate):
		default:
			return nil, fmt.Errorf("certflow: delete %s: %s says to revoke first, and that failed (the Certificate is kept): %w",
				ref, AnnotationRevokeOnDelete, err)
		}
	}
	return m.pendingAuthorizations(ctx, ref), nil
}

// pendingAuthorizations lists the authorizations that the unfinished
// orders of the Certificate named ref found pending. A Store failure
// lists fewer: deactivating them is hygiene.
func (m *Manager) pendingAuthorizations(ctx context.Context, ref meta.Ref) []pendingAuthz {
	reqs, _ := store.ListOf[request.CertificateRequest](ctx, m.cfg.Store, store.ListOptions{
		Kind: meta.KindCertificateRequest, Namespace: ref.Namespace, Owner: &ref})
	var out []pendingAuthz
	for _, r := range reqs {
		rref := meta.RefOf(r)
		orders, _ := store.ListOf[order.Order](ctx, m.cfg.Store, store.ListOptions{
			Kind: meta.KindOrder, Namespace: ref.Namespace, Owner: &rref})
		for _, o := range orders {
			if o.Status.State.IsFinal() {
				continue
			}
			for _, a := range o.Status.Authorizations {
				if a.InitialState == order.StatePending {
					out = append(out, pendingAuthz{issuer: o.Spec.IssuerRef.Resolve(ref.Namespace), url: a.URL})
				}
			}
		}
	}
	return out
}

// deactivate deactivates authorizations left pending by a deleted
// Certificate (RFC 8555 §7.5.2), so they stop counting against the
// account's pending authorizations; a failure is logged, not returned:
// the Certificate is gone already and the CA expires them in time.
func (m *Manager) deactivate(ctx context.Context, authzs []pendingAuthz) {
	if len(authzs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, deactivateTimeout)
	defer cancel()
	for _, a := range authzs {
		iss, err := issuer.Get(ctx, m.cfg.Store, a.issuer)
		if err == nil {
			err = m.wiring.issuers.Clients().DeactivateAuthorization(ctx, iss, a.url)
		}
		if err != nil {
			m.cfg.Logger.Warn("cannot deactivate a pending authorization of a deleted Certificate: "+a.url, "kind", a.issuer.Kind,
				"namespace", a.issuer.Namespace, "name", a.issuer.Name, "err", err)
		}
	}
}
