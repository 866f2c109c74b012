package order

import (
	"time"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/meta"
)

// Order is one ACME order for one CertificateRequest. Its spec is immutable.
type Order struct {
	meta.TypeMeta `json:",inline"`
	ObjectMeta    meta.ObjectMeta `json:"metadata"`
	Spec          Spec            `json:"spec"`
	Status        Status          `json:"status,omitempty"`
}

// GetKind returns meta.KindOrder.
func (o *Order) GetKind() meta.Kind { return meta.KindOrder }

// GetMeta returns the object's metadata.
func (o *Order) GetMeta() *meta.ObjectMeta { return &o.ObjectMeta }

// Spec is cert-manager's OrderSpec.
type Spec struct {
	// Request is the PEM CSR to finalize with.
	Request     []byte         `json:"request"`
	IssuerRef   meta.IssuerRef `json:"issuerRef"`
	CommonName  string         `json:"commonName,omitempty"`
	DNSNames    []string       `json:"dnsNames,omitempty"`
	IPAddresses []string       `json:"ipAddresses,omitempty"`
	Duration    *meta.Duration `json:"duration,omitempty"`
	// Profile is the ACME profile to request; if empty, the issuer's.
	Profile string `json:"profile,omitempty"`
}

// Status is cert-manager's OrderStatus.
type Status struct {
	URL            string          `json:"url,omitempty"`
	FinalizeURL    string          `json:"finalizeURL,omitempty"`
	Authorizations []Authorization `json:"authorizations,omitempty"`
	// Certificate is the PEM chain chosen (leaf first).
	Certificate []byte          `json:"certificate,omitempty"`
	State       challenge.State `json:"state,omitempty"`
	Reason      string          `json:"reason,omitempty"`
	FailureTime *time.Time      `json:"failureTime,omitempty"`
	// CertificateURL is where the default chain was downloaded.
	CertificateURL string `json:"certificateURL,omitempty"`
	// NotBefore, if set and in the future, is when the CA allows the next
	// request (its Retry-After after a 429). It is persisted because the
	// status write that records the rate limit wakes the reconciler at once.
	NotBefore *time.Time `json:"notBefore,omitempty"`
}

// Authorization mirrors one ACME authorization of the order.
type Authorization struct {
	URL          string          `json:"url"`
	Identifier   string          `json:"identifier,omitempty"`
	Wildcard     bool            `json:"wildcard,omitempty"`
	InitialState challenge.State `json:"initialState,omitempty"`
	Challenges   []ACMEChallenge `json:"challenges,omitempty"`
}

// ACMEChallenge is one challenge offered by an authorization.
type ACMEChallenge struct {
	URL   string `json:"url"`
	Token string `json:"token"`
	// Type is the ACME wire type ("http-01", …).
	Type string `json:"type"`
}

// Event reasons of the order reconciler.
const (
	ReasonCreated   meta.Reason = "Created"
	ReasonSolver    meta.Reason = "NoSolver"
	ReasonFinalized meta.Reason = "Finalized"
	ReasonComplete  meta.Reason = "Complete"
	ReasonFailed    meta.Reason = "Failed"
	ReasonRetry     meta.Reason = "RateLimited"
	ReasonTimeout   meta.Reason = "Timeout"
)
