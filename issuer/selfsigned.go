package issuer

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// signSelf signs the CSR with the key that made it, read from the request's
// private key Secret, so the certificate is its own issuer.
func (s *Signer) signSelf(ctx context.Context, spec *SelfSignedIssuer, csr *x509.CertificateRequest, in SignInput) (SignOutput, error) {
	if in.PrivateKeySecretName == "" {
		return SignOutput{}, terminal(errors.New("SelfSigned needs the private key Secret name of the request"))
	}
	ref := meta.Ref{Kind: meta.KindSecret, Namespace: in.Namespace, Name: in.PrivateKeySecretName}
	var sec secret.Secret
	if err := s.deps.Store.Get(ctx, ref, &sec); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return SignOutput{}, fmt.Errorf("issuer: sign: %w: private key Secret %s: %w", ErrNotReady, ref, err)
		}
		return SignOutput{}, fmt.Errorf("issuer: sign: read %s: %w", ref, err)
	}
	key, err := pki.ParsePrivateKey(sec.Data[secret.TLSKeyKey])
	if err != nil {
		return SignOutput{}, fmt.Errorf("issuer: sign: %w: %w: %s: %w", ErrNotReady, ErrInvalidKeyPair, ref, err)
	}
	if !pki.PublicKeysEqual(key.Public(), csr.PublicKey) {
		return SignOutput{}, fmt.Errorf("issuer: sign: %w: %w (Secret %s)", reconcile.ErrTerminal, ErrKeyMismatch, ref)
	}
	tmpl, err := s.leafTemplate(csr, in, time.Time{}, spec.CRLDistributionPoints, nil)
	if err != nil {
		return SignOutput{}, err
	}
	der, err := pki.SignCertificate(tmpl, key.Public(), tmpl, key)
	if err != nil {
		return SignOutput{}, terminal(err)
	}
	pemCert := pki.EncodeDER(der)
	return SignOutput{Chain: pemCert, CA: pemCert}, nil
}
