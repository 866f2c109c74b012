package challenge

import (
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
)

// State is an ACME resource state (RFC 8555 §7.1.6) as cert-manager records
// it for Orders and Challenges.
type State string

// ACME states. Errored is cert-manager's: the resource failed outside ACME.
const (
	StateUnknown    State = ""
	StateValid      State = "valid"
	StateReady      State = "ready"
	StatePending    State = "pending"
	StateProcessing State = "processing"
	StateInvalid    State = "invalid"
	StateExpired    State = "expired"
	StateErrored    State = "errored"
)

// IsFinal reports whether s is a state the resource never leaves.
func (s State) IsFinal() bool {
	switch s {
	case StateValid, StateInvalid, StateExpired, StateErrored:
		return true
	case StateUnknown, StateReady, StatePending, StateProcessing:
		return false
	}
	return false
}

// Challenge is one ACME challenge being solved for one authorization.
type Challenge struct {
	meta.TypeMeta `json:",inline"`
	ObjectMeta    meta.ObjectMeta `json:"metadata"`
	Spec          Spec            `json:"spec"`
	Status        Status          `json:"status,omitempty"`
}

// GetKind returns meta.KindChallenge.
func (c *Challenge) GetKind() meta.Kind { return meta.KindChallenge }

// GetMeta returns the object's metadata.
func (c *Challenge) GetMeta() *meta.ObjectMeta { return &c.ObjectMeta }

// Spec is cert-manager's ChallengeSpec.
type Spec struct {
	URL              string `json:"url"`
	AuthorizationURL string `json:"authorizationURL"`
	// DNSName is the identifier (DNS name without "*." or IP address).
	DNSName  string      `json:"dnsName"`
	Wildcard bool        `json:"wildcard,omitempty"`
	Type     solver.Type `json:"type"`
	Token    string      `json:"token"`
	// Key is the key authorization (token.thumbprint).
	Key       string         `json:"key"`
	Solver    solver.Config  `json:"solver"`
	IssuerRef meta.IssuerRef `json:"issuerRef"`
}

// Status is cert-manager's ChallengeStatus plus certflow's diagnostics.
type Status struct {
	Processing bool `json:"processing,omitempty"`
	// Presented is set before the self-check starts, so a crash after Present
	// still cleans up.
	Presented   bool       `json:"presented,omitempty"`
	PresentedAt *time.Time `json:"presentedAt,omitempty"`
	// Accepted is set once the CA was told to validate.
	Accepted bool   `json:"accepted,omitempty"`
	State    State  `json:"state,omitempty"`
	Reason   string `json:"reason,omitempty"`
	// CleanedUp is set once the solver removed what it presented.
	CleanedUp bool `json:"cleanedUp,omitempty"`
	// RecordName is, for DNS-01, where the TXT record was written.
	RecordName string `json:"recordName,omitempty"`
	// NotBefore, if set and in the future, is when the CA allows the next
	// request (its Retry-After after a 429). It is persisted because the
	// status write that records the rate limit wakes the reconciler at once.
	NotBefore *time.Time `json:"notBefore,omitempty"`
}

// Info returns what a solver needs to know about c.
func (c *Challenge) Info() solver.Challenge {
	return solver.Challenge{
		Type:             c.Spec.Type,
		Identifier:       c.Spec.DNSName,
		Wildcard:         c.Spec.Wildcard,
		Token:            c.Spec.Token,
		KeyAuthorization: c.Spec.Key,
		ResolvedFQDN:     c.Status.RecordName,
		Namespace:        c.ObjectMeta.Namespace,
		Name:             c.ObjectMeta.Name,
	}
}

// Event reasons of the challenge reconciler.
const (
	ReasonPresented    meta.Reason = "Presented"
	ReasonPresentError meta.Reason = "PresentError"
	ReasonSelfCheck    meta.Reason = "SelfCheckPending"
	ReasonAccepted     meta.Reason = "Accepted"
	ReasonValid        meta.Reason = "DomainVerified"
	ReasonFailed       meta.Reason = "Failed"
	ReasonCleanedUp    meta.Reason = "CleanedUp"
	ReasonCleanUpError meta.Reason = "CleanUpError"
	// ReasonRateLimited: the CA answered 429; the next attempt waits for its Retry-After.
	ReasonRateLimited meta.Reason = "RateLimited"
)
