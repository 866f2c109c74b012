package order

import (
	"time"

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
	// Replaces is the ARI CertID (RFC 9773 §4.1) of the certificate this
	// order replaces, sent as newOrder's replaces when the CA offers ARI so
	// the CA can exempt the renewal from its limits. Empty names none.
	Replaces string `json:"replaces,omitempty"`
}

// Status is cert-manager's OrderStatus.
type Status struct {
	URL            string          `json:"url,omitempty"`
	FinalizeURL    string          `json:"finalizeURL,omitempty"`
	Authorizations []Authorization `json:"authorizations,omitempty"`
	// Certificate is the PEM chain chosen (leaf first).
	Certificate []byte     `json:"certificate,omitempty"`
	State       State      `json:"state,omitempty"`
	Reason      string     `json:"reason,omitempty"`
	FailureTime *time.Time `json:"failureTime,omitempty"`
	// CertificateURL is where the default chain was downloaded.
	CertificateURL string `json:"certificateURL,omitempty"`
	// NotBefore, if set and in the future, is when the order talks to the
	// CA next: the CA's Retry-After, a backoff after a failed call, or the
	// next poll. It is persisted because the status write that records it
	// wakes the reconciler at once.
	NotBefore *time.Time `json:"notBefore,omitempty"`
	// Finalizing records that a finalize was (or is about to be) sent for
	// this ACME order: it is written before the POST, so whoever sees it
	// (a replica, this process after a crash) fetches the order instead of
	// finalizing again.
	Finalizing bool `json:"finalizing,omitempty"`
	// Polls counts consecutive looks at an ACME order that had not moved
	// on; the pause between them grows with it.
	Polls int `json:"polls,omitempty"`
	// Problem is the CA's answer to the latest failed ACME call, kept until
	// a call succeeds; nil if the latest call succeeded.
	Problem *Problem `json:"problem,omitempty"`
}

// Problem is a failed ACME call as the Order records it.
type Problem struct {
	// Op is the call: "new order", "get authorization", "get order",
	// "finalize", "download certificate", or "validate" for the problem of
	// a failed challenge that failed the order.
	Op string `json:"op"`
	// Type is the CA's RFC 7807 problem type; empty when no problem
	// document came (a network error).
	Type   string `json:"type,omitempty"`
	Detail string `json:"detail,omitempty"`
	// HTTPStatus is the CA's status code; 0 when no answer came.
	HTTPStatus int `json:"httpStatus,omitempty"`
	// Attempts counts consecutive failures of Op.
	Attempts int `json:"attempts"`
	// Refused means the CA refused the call for good (a 4xx problem).
	Refused bool `json:"refused,omitempty"`
}

// Authorization mirrors one ACME authorization of the order.
type Authorization struct {
	URL          string          `json:"url"`
	Identifier   string          `json:"identifier,omitempty"`
	Wildcard     bool            `json:"wildcard,omitempty"`
	InitialState State           `json:"initialState,omitempty"`
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
	// ReasonCAError: an ACME call failed and is retried after a backoff.
	ReasonCAError meta.Reason = "ErrACME"
)
