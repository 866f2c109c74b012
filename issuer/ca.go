package issuer

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// signCA signs the CSR's public key with the CA key pair in the Secret ref.
func (s *Signer) signCA(ctx context.Context, ref meta.Ref, spec *CAIssuer, csr *x509.CertificateRequest, in SignInput) (SignOutput, error) {
	kp, err := s.caKeyPair(ctx, ref)
	if err != nil {
		return SignOutput{}, err
	}
	if p := kp.problemAt(s.deps.Clock.Now()); p != "" {
		return SignOutput{}, fmt.Errorf("issuer: sign: %w: %w: Secret %s: %s", ErrNotReady, ErrInvalidKeyPair, ref, p)
	}
	// cert-manager caps the leaf at the CA's expiry rather than failing.
	tmpl, err := s.leafTemplate(csr, in, kp.cert.NotAfter, spec.CRLDistributionPoints, spec.OCSPServers)
	if err != nil {
		return SignOutput{}, err
	}
	der, err := pki.SignCertificate(tmpl, csr.PublicKey, kp.cert, kp.key)
	if err != nil {
		return SignOutput{}, terminal(err)
	}
	leaf := pki.EncodeDER(der)
	chain := make([]byte, 0, len(leaf)+len(kp.chainPEM))
	chain = append(append(chain, leaf...), kp.chainPEM...)
	return SignOutput{Chain: chain, CA: kp.caPEM}, nil
}

// caKeyPair returns the parsed key pair of the Secret ref at its current
// resource version, parsing it only when the version changed.
func (s *Signer) caKeyPair(ctx context.Context, ref meta.Ref) (*caKeyPair, error) {
	var sec secret.Secret
	if err := s.deps.Store.Get(ctx, ref, &sec); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("issuer: sign: %w: CA Secret %s: %w", ErrNotReady, ref, err)
		}
		return nil, fmt.Errorf("issuer: sign: read %s: %w", ref, err)
	}
	rv := sec.ObjectMeta.ResourceVersion
	s.mu.Lock()
	kp, ok := s.keyPair[ref]
	s.mu.Unlock()
	if ok && rv != "" && kp.resourceVersion == rv {
		return kp, nil
	}
	kp = parseCAKeyPair(&sec)
	s.mu.Lock()
	if len(s.keyPair) >= maxCachedKeyPairs {
		for k := range s.keyPair {
			delete(s.keyPair, k)
			break
		}
	}
	s.keyPair[ref] = kp
	s.mu.Unlock()
	return kp, nil
}
