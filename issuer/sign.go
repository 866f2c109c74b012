package issuer

import (
	"context"
	"crypto/x509"
	"fmt"
	"sync"
	"time"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
)

// DefaultDuration is the lifetime of a certificate whose request names none,
// as in cert-manager.
const DefaultDuration = 90 * 24 * time.Hour

// SignInput is one CertificateRequest to sign.
type SignInput struct {
	// Namespace is the request's namespace. SelfSigned reads
	// PrivateKeySecretName there.
	Namespace string
	// CSR is the PEM certificate signing request.
	CSR []byte
	// ParsedCSR, if non-nil, is used instead of parsing CSR, saving a
	// signature check when the caller already ran pki.ParseCSR on it. If
	// nil, CSR is parsed and its signature checked.
	ParsedCSR *x509.CertificateRequest
	// Duration is the requested lifetime. If 0, DefaultDuration is used.
	Duration time.Duration
	// IsCA makes the certificate a CA (basic constraints CA:TRUE, cert sign).
	IsCA bool
	// Usages are cert-manager usage names. If empty, pki.DefaultUsages.
	Usages []string
	// PrivateKeySecretName is, for SelfSigned only, the Secret in Namespace
	// whose tls.key made the CSR (cert-manager's annotation
	// cert-manager.io/private-key-secret-name). Ignored by CA issuers.
	PrivateKeySecretName string
}

// SignOutput is the signed result, PEM encoded.
type SignOutput struct {
	// Chain is the leaf first, followed for a CA issuer by the certificates of
	// the CA Secret's tls.crt.
	Chain []byte
	// CA is the top of the chain: the certificate itself for SelfSigned, the
	// CA Secret's ca.crt (or else the last certificate of its tls.crt) for CA.
	CA []byte
}

// Signer signs requests for SelfSigned and CA issuers. It caches each CA
// Secret's parsed key pair per resource version, so signing costs one Store
// read and one signature. The zero value is not usable; use NewSigner. A
// Signer is safe for concurrent use.
type Signer struct {
	deps reconcile.Deps

	mu      sync.Mutex
	keyPair map[meta.Ref]*caKeyPair // by Secret ref; holds only the current version
}

// maxCachedKeyPairs bounds the cache: beyond it, an arbitrary entry goes.
// Real deployments have a handful of CA issuers.
const maxCachedKeyPairs = 256

// NewSigner returns a Signer reading Secrets from deps.Store and the time from deps.Clock.
func NewSigner(deps reconcile.Deps) *Signer {
	return &Signer{deps: deps, keyPair: map[meta.Ref]*caKeyPair{}}
}

// Sign signs in with iss. Errors match ErrNotReady (retry later: Secret
// missing or unusable, a transient Store failure also comes unwrapped) or
// reconcile.ErrTerminal together with ErrUnsupported or ErrKeyMismatch
// (the request can never be signed as it is).
func (s *Signer) Sign(ctx context.Context, iss Object, in SignInput) (SignOutput, error) {
	spec := iss.IssuerSpec()
	if err := Validate(spec); err != nil {
		return SignOutput{}, fmt.Errorf("issuer: sign: %w: %w", ErrUnsupported, err)
	}
	csr := in.ParsedCSR
	if csr == nil {
		var err error
		if csr, err = pki.ParseCSR(in.CSR); err != nil {
			return SignOutput{}, terminal(err)
		}
	}
	if in.Duration < 0 {
		return SignOutput{}, terminal(fmt.Errorf("negative duration %s", in.Duration))
	}
	if in.Duration == 0 {
		in.Duration = DefaultDuration
	}
	switch spec.Type() {
	case TypeSelfSigned:
		return s.signSelf(ctx, spec.SelfSigned, csr, in)
	case TypeCA:
		ref := meta.Ref{Kind: meta.KindSecret, Namespace: s.deps.SecretNamespace(meta.RefOf(iss)), Name: spec.CA.SecretName}
		return s.signCA(ctx, ref, spec.CA, csr, in)
	case TypeACME:
		return SignOutput{}, terminal(fmt.Errorf("ACME issuer %s signs through orders", meta.RefOf(iss)))
	}
	return SignOutput{}, terminal(fmt.Errorf("issuer %s has no type", meta.RefOf(iss)))
}

func terminal(err error) error {
	return fmt.Errorf("issuer: sign: %w: %w: %w", reconcile.ErrTerminal, ErrUnsupported, err)
}

// leafTemplate maps the request onto pki's template, validity from now.
func (s *Signer) leafTemplate(csr *x509.CertificateRequest, in SignInput, notAfterCap time.Time, crl, ocsp []string) (*x509.Certificate, error) {
	now := s.deps.Clock.Now()
	notAfter := now.Add(in.Duration)
	if !notAfterCap.IsZero() && notAfter.After(notAfterCap) {
		notAfter = notAfterCap
	}
	tmpl, err := pki.TemplateFromCSR(csr, pki.LeafTemplate{
		NotBefore:             now,
		NotAfter:              notAfter,
		IsCA:                  in.IsCA,
		Usages:                in.Usages,
		CRLDistributionPoints: crl,
		OCSPServers:           ocsp,
	})
	if err != nil {
		return nil, terminal(err)
	}
	return tmpl, nil
}
