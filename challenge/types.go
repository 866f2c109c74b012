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

// Status is cert-manager's ChallengeStatus plus certflow's diagnostics and
// the recorded outcomes of the reconciler's effects, which are what its next
// decision reads.
type Status struct {
	// Processing is the intent to present, recorded before the solver's
	// Present is called, so a crash during Present still cleans up.
	Processing bool `json:"processing,omitempty"`
	// Presented is set before the self-check starts, so a crash after Present
	// still cleans up.
	Presented   bool       `json:"presented,omitempty"`
	PresentedAt *time.Time `json:"presentedAt,omitempty"`
	// PresentFailures counts failed Present attempts (including a solver that
	// cannot be built); after Options.PresentAttempts the challenge fails.
	PresentFailures int `json:"presentFailures,omitempty"`
	// SelfCheckPassed records that the self-check saw what the CA will see;
	// SelfCheckFailures counts the failed attempts before that.
	SelfCheckPassed   bool `json:"selfCheckPassed,omitempty"`
	SelfCheckFailures int  `json:"selfCheckFailures,omitempty"`
	// Accepting is the intent to accept, recorded before the accept POST.
	// With Accepted still false it means a POST may have reached the CA:
	// whoever resumes reads the authorization before accepting again.
	Accepting bool `json:"accepting,omitempty"`
	// Accepted is set once the CA was told to validate.
	Accepted bool `json:"accepted,omitempty"`
	// AcceptedAt is when the CA was asked to validate; authorization polls
	// start soon after it and grow with the time since (see authzPoll).
	AcceptedAt *time.Time `json:"acceptedAt,omitempty"`
	State      State      `json:"state,omitempty"`
	Reason     string     `json:"reason,omitempty"`
	// Problem is the CA's problem behind a failed challenge, when the CA
	// sent one; Reason says it in words.
	Problem *Problem `json:"problem,omitempty"`
	// CleanedUp is set once the solver removed what it presented.
	CleanedUp bool `json:"cleanedUp,omitempty"`
	// RecordName is, for DNS-01, where the TXT record was written.
	RecordName string `json:"recordName,omitempty"`
	// NotBefore, if set and in the future, is when the next step may be
	// taken: the CA's Retry-After after a 429, the next authorization poll,
	// the next self-check or Present attempt. It is persisted because the
	// status write that records an outcome wakes the reconciler at once.
	NotBefore *time.Time `json:"notBefore,omitempty"`
}

// Problem is an RFC 7807 problem the CA answered with.
type Problem struct {
	Type   string `json:"type,omitempty"`
	Detail string `json:"detail,omitempty"`
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
