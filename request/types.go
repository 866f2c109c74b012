package request

import (
	"time"

	"github.com/certflow/certflow/meta"
)

// CertificateRequest carries one CSR to an issuer. Its spec is immutable.
type CertificateRequest struct {
	meta.TypeMeta `json:",inline"`
	ObjectMeta    meta.ObjectMeta `json:"metadata"`
	Spec          Spec            `json:"spec"`
	Status        Status          `json:"status,omitempty"`
}

// GetKind returns meta.KindCertificateRequest.
func (r *CertificateRequest) GetKind() meta.Kind { return meta.KindCertificateRequest }

// GetMeta returns the object's metadata.
func (r *CertificateRequest) GetMeta() *meta.ObjectMeta { return &r.ObjectMeta }

// Spec is cert-manager's CertificateRequestSpec.
type Spec struct {
	// Request is the PEM-encoded CSR (base64 in JSON, as in cert-manager).
	Request   []byte         `json:"request"`
	IssuerRef meta.IssuerRef `json:"issuerRef"`
	// Duration is the requested lifetime; if nil, the issuer's default.
	Duration *meta.Duration `json:"duration,omitempty"`
	IsCA     bool           `json:"isCA,omitempty"`
	// Usages are cert-manager key usage names ("digital signature", "server auth", …).
	Usages []string `json:"usages,omitempty"`
	// Username, UID, Groups and Extra identify the requester for approvers.
	Username string              `json:"username,omitempty"`
	UID      string              `json:"uid,omitempty"`
	Groups   []string            `json:"groups,omitempty"`
	Extra    map[string][]string `json:"extra,omitempty"`
}

// Status is cert-manager's CertificateRequestStatus.
type Status struct {
	Conditions meta.Conditions `json:"conditions,omitempty"`
	// Certificate is the PEM chain, leaf first.
	Certificate []byte     `json:"certificate,omitempty"`
	CA          []byte     `json:"ca,omitempty"`
	FailureTime *time.Time `json:"failureTime,omitempty"`
	// Fallback, on a failed request of a Certificate with another issuer
	// to try, says why this request's issuer was passed over (a certflow
	// extension; see AnnotationFallback). nil for any other outcome.
	Fallback *Fallback `json:"fallback,omitempty"`
}

// Reasons on a CertificateRequest's conditions, as cert-manager spells them.
const (
	ReasonPending      meta.Reason = "Pending"
	ReasonIssued       meta.Reason = "Issued"
	ReasonFailed       meta.Reason = "Failed"
	ReasonDenied       meta.Reason = "Denied"
	ReasonApproved     meta.Reason = "Approved"
	ReasonOrderCreated meta.Reason = "OrderCreated"
	ReasonOrderFailed  meta.Reason = "OrderFailed"
	ReasonInvalidCSR   meta.Reason = "InvalidCSR"
	// ReasonValidationFailed is the InvalidRequest reason for a request
	// whose fields other than its CSR fail Validate.
	ReasonValidationFailed meta.Reason = "ValidationFailed"
	ReasonIssuerNotReady   meta.Reason = "IssuerNotReady"
)
