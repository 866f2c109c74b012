package certflow

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"

	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// Errors of Revoke, tested with errors.Is.
var (
	// ErrAlreadyRevoked means the CA had revoked the certificate already.
	ErrAlreadyRevoked = errors.New("certflow: certificate already revoked")
	// ErrNotACME means the certificate was not issued by an ACME issuer:
	// there is no CA to ask (a CA or SelfSigned issuer keeps no CRL).
	ErrNotACME = errors.New("certflow: not issued by an ACME issuer")
	// ErrNoCertificate means the Certificate's Secret does not exist or
	// holds no usable certificate (or, with WithCertificateKey, no key).
	ErrNoCertificate = errors.New("certflow: no issued certificate")
	// ErrKeyMismatch means WithCertificateKey was asked, but the private
	// key in the Certificate's Secret is not the certificate's: the CA
	// would refuse the signature, so nothing is sent.
	ErrKeyMismatch = errors.New("certflow: the Secret's private key does not match its certificate")
)

// ReasonRevoked is the reason of the Warning event Revoke records on the
// Certificate.
const ReasonRevoked meta.Reason = "Revoked"

// RevokeOption changes how Revoke revokes.
type RevokeOption interface{ revokeOption(*revokeOptions) }

type revokeOptions struct{ certKey bool }

type revokeOptionFunc func(*revokeOptions)

func (f revokeOptionFunc) revokeOption(o *revokeOptions) { f(o) }

// WithCertificateKey signs the revocation with the certificate's own
// private key (from its Secret) instead of the issuer's ACME account, as
// RFC 8555 §7.6 allows: it works when the account is lost or deactivated.
// A CA takes a revocation signed by the certificate's key as proof that the
// key is compromised (Let's Encrypt records it as keyCompromise and blocks
// the key, whatever reason was sent), so Revoke then marks the key
// compromised too: it is never reused.
func WithCertificateKey() RevokeOption {
	return revokeOptionFunc(func(o *revokeOptions) { o.certKey = true })
}

// Revoke asks the CA that issued the certificate now in the Secret of the
// Certificate named ref to revoke it for reason, signed by the issuing
// ACME issuer's account (or, WithCertificateKey, by the certificate's key),
// and then has the Certificate issued anew: a revoked certificate is
// served only until its replacement is stored. It records a Warning event
// (ReasonRevoked) and a manual renewal, and returns that Renewal, which
// WaitReady(ctx, ref, ForRenewal(r)) awaits.
//
// The issuer asked is the one named in the Secret's annotations (the one
// that issued it), else the Certificate's issuerRef. Errors: ErrNotACME,
// ErrNoCertificate, ErrKeyMismatch (WithCertificateKey, and the Secret's
// key is not the certificate's), ErrBadRevocationReason, issuer.ErrNotReady (the
// account is not registered: use WithCertificateKey), the CA's refusal (an
// *acme.Error), Store errors. ErrAlreadyRevoked comes with a valid Renewal:
// the certificate is revoked either way, and is replaced.
//
// With rotationPolicy Never the replacement reuses the private key, except
// after keyCompromise or any revocation WithCertificateKey: the key is
// marked compromised on the Certificate (certificate.AnnotationCompromisedKey)
// and never reused, since a CA refuses a key it knows is compromised, and
// Let's Encrypt counts every revocation signed by the certificate's key as
// keyCompromise, whatever reason was sent.
func (m *Manager) Revoke(ctx context.Context, ref meta.Ref, reason RevocationReason, opts ...RevokeOption) (Renewal, error) {
	var o revokeOptions
	for _, opt := range opts {
		opt.revokeOption(&o)
	}
	if ref.Kind != meta.KindCertificate {
		return Renewal{}, fmt.Errorf("certflow: revoke: %s is not a Certificate", ref)
	}
	c := &certificate.Certificate{}
	if err := m.cfg.Store.Get(ctx, ref, c); err != nil {
		return Renewal{}, fmt.Errorf("certflow: revoke %s: %w", ref, err)
	}
	leaf, _, err := m.revokeIssued(ctx, c, reason, o)
	already := errors.Is(err, ErrAlreadyRevoked)
	if err != nil && !already {
		return Renewal{}, err
	}
	msg := fmt.Sprintf("The certificate with serial %x was revoked (reason %s); it is being replaced", leaf.SerialNumber, reason)
	if already {
		msg = fmt.Sprintf("The certificate with serial %x was revoked already; it is being replaced", leaf.SerialNumber)
	}
	m.events.recordNow(ctx, c, meta.EventWarning, ReasonRevoked, msg)
	var mark func(*certificate.Certificate) error
	if reason == RevocationKeyCompromise || o.certKey {
		mark = func(c *certificate.Certificate) error { return certificate.MarkKeyCompromised(c, leaf.PublicKey) }
	}
	r, rerr := m.renew(ctx, ref, mark)
	if rerr != nil {
		return Renewal{}, fmt.Errorf("certflow: revoke %s: revoked, but the renewal was not recorded: %w", ref, rerr)
	}
	return r, err
}

// revokeIssued revokes the certificate in c's Secret at its ACME CA and
// returns it and the Secret it was read from.
func (m *Manager) revokeIssued(ctx context.Context, c *certificate.Certificate, reason RevocationReason, o revokeOptions) (*x509.Certificate, *secret.Secret, error) {
	ref := meta.RefOf(c)
	fail := func(err error) (*x509.Certificate, *secret.Secret, error) {
		return nil, nil, fmt.Errorf("certflow: revoke %s: %w", ref, err)
	}
	if !reason.Valid() {
		return fail(fmt.Errorf("%w: %d", ErrBadRevocationReason, int(reason)))
	}
	sec := &secret.Secret{}
	sref := meta.Ref{Kind: meta.KindSecret, Namespace: ref.Namespace, Name: c.Spec.SecretName}
	if err := m.cfg.Store.Get(ctx, sref, sec); errors.Is(err, store.ErrNotFound) {
		return fail(fmt.Errorf("%w: Secret %q does not exist", ErrNoCertificate, sref.Name))
	} else if err != nil {
		return fail(err)
	}
	chain, err := pki.ParseChain(sec.Data[secret.TLSCertKey])
	if err != nil || len(chain) == 0 {
		return fail(fmt.Errorf("%w: Secret %q holds no certificate", ErrNoCertificate, sref.Name))
	}
	leaf := chain[0]
	var certKey crypto.Signer
	if o.certKey {
		// The parse error is not wrapped: it may quote the key's bytes.
		if certKey, err = pki.ParsePrivateKey(sec.Data[secret.TLSKeyKey]); err != nil {
			return fail(fmt.Errorf("%w: Secret %q holds no usable private key", ErrNoCertificate, sref.Name))
		}
		if !pki.PublicKeysEqual(certKey.Public(), leaf.PublicKey) {
			return fail(fmt.Errorf("%w: Secret %q", ErrKeyMismatch, sref.Name))
		}
	}
	iss, err := issuer.Get(ctx, m.cfg.Store, issuedBy(c, sec))
	if err != nil {
		return fail(err)
	}
	if iss.IssuerSpec().ACME == nil {
		return fail(fmt.Errorf("%w: %s", ErrNotACME, meta.RefOf(iss)))
	}
	err = m.wiring.issuers.Clients().RevokeCert(ctx, iss, leaf.Raw, int(reason), certKey)
	var ae *acme.Error
	if errors.As(err, &ae) {
		switch ae.ProblemType {
		case acmeproto.ProblemAlreadyRevoked:
			return leaf, sec, fmt.Errorf("certflow: revoke %s: %w", ref, ErrAlreadyRevoked)
		case acmeproto.ProblemBadRevocationReason:
			return fail(fmt.Errorf("%w: %w", ErrBadRevocationReason, err))
		}
	}
	if err != nil {
		return fail(err)
	}
	return leaf, sec, nil
}

// issuedBy names the issuer that issued the certificate in sec: the one
// its annotations name, else c's issuerRef.
func issuedBy(c *certificate.Certificate, sec *secret.Secret) meta.Ref {
	ir := c.Spec.IssuerRef
	if name := sec.ObjectMeta.Annotations[secret.AnnotationIssuerName]; name != "" {
		ir = meta.IssuerRef{Name: name, Kind: meta.Kind(sec.ObjectMeta.Annotations[secret.AnnotationIssuerKind])}
	}
	return ir.Resolve(c.ObjectMeta.Namespace)
}
