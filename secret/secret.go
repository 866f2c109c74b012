// Package secret holds the Secret resource: named key material (a certificate's
// key and chain, an issuer's CA, an ACME account key, a TSIG secret). Secrets
// are read by issuers, written by the certificate reconciler and persisted by
// the Store with owner-only permissions.
package secret

import "github.com/certflow/certflow/meta"

// Type is the Secret's type as Kubernetes spells it.
type Type string

// Secret types.
const (
	TypeTLS    Type = "kubernetes.io/tls"
	TypeOpaque Type = "Opaque"
)

// Data keys of a TLS Secret.
const (
	TLSCertKey = "tls.crt"
	TLSKeyKey  = "tls.key"
	CACertKey  = "ca.crt"
)

// Annotations certflow writes on the Secrets of Certificates, as cert-manager names them.
const (
	AnnotationCertificateName = "cert-manager.io/certificate-name"
	AnnotationIssuerName      = "cert-manager.io/issuer-name"
	AnnotationIssuerKind      = "cert-manager.io/issuer-kind"
	AnnotationCommonName      = "cert-manager.io/common-name"
	AnnotationAltNames        = "cert-manager.io/alt-names"
	AnnotationIPSANs          = "cert-manager.io/ip-sans"
	AnnotationURISANs         = "cert-manager.io/uri-sans"
	AnnotationEmailSANs       = "cert-manager.io/email-sans"
)

// Secret is named binary data. Data values are base64 in JSON, as in Kubernetes.
type Secret struct {
	meta.TypeMeta `json:",inline"`
	ObjectMeta    meta.ObjectMeta   `json:"metadata"`
	Type          Type              `json:"type,omitempty"`
	Data          map[string][]byte `json:"data,omitempty"`
}

// GetKind returns meta.KindSecret.
func (s *Secret) GetKind() meta.Kind { return meta.KindSecret }

// GetMeta returns the object's metadata.
func (s *Secret) GetMeta() *meta.ObjectMeta { return &s.ObjectMeta }
