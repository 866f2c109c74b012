package certflow

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// AnnotationRevokeOnDelete, set to "true" on a Certificate, makes
// Manager.Delete revoke the certificate in its Secret (reason
// cessationOfOperation) before the Certificate is deleted, and delete that
// Secret after it, if the Secret is the one this Certificate issued into
// (its cert-manager.io/certificate-name annotation says so): every Secret
// holding a certificate and key is served, and a revoked certificate must
// not be. The revocation is signed by the issuing account, or, when that
// issuer is not ready (its account deactivated, say), by the certificate's
// own key if the Secret holds it. A certificate not issued by an ACME
// issuer has nothing to revoke and is deleted. A revocation that fails
// keeps the Certificate: remove the annotation to delete it without
// revoking.
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

// deletePlan is what deleting an object leaves to do once it is gone.
type deletePlan struct {
	pending []pendingAuthz
	// revoked is what AnnotationRevokeOnDelete revoked, nil if nothing.
	revoked *revokedCert
}

// revokedCert is a certificate revoked on delete.
type revokedCert struct {
	leaf   *x509.Certificate
	secret *secret.Secret // the Secret it was read from
	// certKey says the certificate's own key signed the revocation.
	certKey bool
}

// beforeDelete does what deleting the object named ref asks first: for a
// Certificate, revoke it if AnnotationRevokeOnDelete says so, and list the
// authorizations its unfinished orders left pending.
func (m *Manager) beforeDelete(ctx context.Context, ref meta.Ref) (deletePlan, error) {
	var plan deletePlan
	if ref.Kind != meta.KindCertificate {
		return plan, nil
	}
	c := &certificate.Certificate{}
	if err := m.cfg.Store.Get(ctx, ref, c); err != nil {
		return plan, nil // Delete itself reports a missing or unreadable object
	}
	if c.ObjectMeta.Annotations[AnnotationRevokeOnDelete] == "true" {
		var err error
		if plan.revoked, err = m.revokeOnDelete(ctx, c); err != nil {
			return plan, err
		}
	}
	plan.pending = m.pendingAuthorizations(ctx, ref)
	return plan, nil
}

// revokeOnDelete revokes the certificate of c, which is being deleted,
// and says what it revoked (nil when there was nothing to revoke).
func (m *Manager) revokeOnDelete(ctx context.Context, c *certificate.Certificate) (*revokedCert, error) {
	ref := meta.RefOf(c)
	refuse := func(err error) (*revokedCert, error) {
		return nil, fmt.Errorf("certflow: delete %s: %s says to revoke first, and that failed (the Certificate is kept; remove the annotation %s to delete it without revoking): %w",
			ref, AnnotationRevokeOnDelete, AnnotationRevokeOnDelete, err)
	}
	leaf, sec, err := m.revokeIssued(ctx, c, RevocationCessationOfOperation, revokeOptions{})
	certKey := false
	if errors.Is(err, issuer.ErrNotReady) {
		// The account cannot sign; the certificate's own key can, if the
		// Secret holds it. Any failure of that, even a missing key, refuses.
		accountErr := err
		certKey = true
		leaf, sec, err = m.revokeIssued(ctx, c, RevocationCessationOfOperation, revokeOptions{certKey: true})
		if err != nil && !errors.Is(err, ErrAlreadyRevoked) {
			return refuse(fmt.Errorf("%w; nor could the certificate's own key sign: %w", accountErr, err))
		}
	}
	log := func(msg string) {
		m.cfg.Logger.Info(msg, "kind", ref.Kind, "namespace", ref.Namespace, "name", ref.Name)
	}
	switch {
	case err == nil:
		log(fmt.Sprintf("revoked the certificate (serial %x) of a Certificate being deleted", leaf.SerialNumber))
		return &revokedCert{leaf: leaf, secret: sec, certKey: certKey}, nil
	case errors.Is(err, ErrAlreadyRevoked):
		return &revokedCert{leaf: leaf, secret: sec, certKey: certKey}, nil
	case errors.Is(err, ErrNoCertificate):
		return nil, nil
	case errors.Is(err, ErrNotACME):
		log("nothing to revoke for a Certificate being deleted: its issuer is not an ACME issuer")
		return nil, nil
	default:
		return refuse(err)
	}
}

// afterRevokedDelete finishes deleting the Certificate named ref whose
// certificate in sec was revoked: it deletes that Secret, so the revoked
// certificate is no longer served, if it is still the one the Certificate
// issued into.
func (m *Manager) afterRevokedDelete(ctx context.Context, ref meta.Ref, sec *secret.Secret) error {
	sref := meta.RefOf(sec)
	cur := &secret.Secret{}
	err := m.cfg.Store.Get(ctx, sref, cur)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err == nil {
		if cur.ObjectMeta.Annotations[secret.AnnotationCertificateName] != ref.Name {
			m.cfg.Logger.Warn("kept the Secret of a revoked, deleted Certificate: it does not name the Certificate as its issuer",
				"kind", sref.Kind, "namespace", sref.Namespace, "name", sref.Name)
			return nil
		}
		if err = m.cfg.Store.Delete(ctx, sref, cur.ObjectMeta.ResourceVersion); err == nil {
			m.unserve(sref, cur.ObjectMeta.ResourceVersion)
		}
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("certflow: delete %s: revoked and deleted, but its Secret %s, still served, was not deleted: %w", ref, sref.Name, err)
	}
	return nil
}

// unserve stops serving the Secret named ref, just deleted at version rv,
// when Delete returns rather than when the Store watch gets to it. Store
// revisions are one counter, so the deletion is newer than rv: ordered
// after rv, a late watch event of that version cannot bring it back, and a
// re-creation (newer still) is not hidden.
func (m *Manager) unserve(ref meta.Ref, rv string) {
	v, err := strconv.ParseUint(rv, 10, 64)
	if err != nil {
		m.wiring.cache.DeleteSecret(ref) // no order to keep
		return
	}
	m.wiring.cache.DeleteSecretAt(ref, strconv.FormatUint(v+1, 10))
}

// revokedNotDeleted handles a Certificate named ref whose certificate was
// revoked but which the Store did not delete (delErr): rather than leave a
// revoked certificate in place silently, it asks for a renewal (marking the
// key compromised when the certificate's key signed), and says so.
func (m *Manager) revokedNotDeleted(ctx context.Context, ref meta.Ref, rv *revokedCert, delErr error) error {
	var mark func(*certificate.Certificate) error
	if rv.certKey {
		mark = func(c *certificate.Certificate) error { return certificate.MarkKeyCompromised(c, rv.leaf.PublicKey) }
	}
	if _, err := m.renew(ctx, ref, mark); err != nil {
		return fmt.Errorf("certflow: delete %s: its certificate was revoked, but the Certificate was not deleted (%w), and its renewal was not recorded either: %w", ref, delErr, err)
	}
	return fmt.Errorf("certflow: delete %s: its certificate was revoked, but the Certificate was not deleted (a renewal is requested to replace the revoked certificate): %w", ref, delErr)
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
