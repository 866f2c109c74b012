package issuer

import (
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
)

// Issuer signs certificates for Certificates in its own namespace.
type Issuer struct {
	meta.TypeMeta `json:",inline"`
	ObjectMeta    meta.ObjectMeta `json:"metadata"`
	Spec          Spec            `json:"spec"`
	Status        Status          `json:"status,omitempty"`
}

// GetKind returns meta.KindIssuer.
func (i *Issuer) GetKind() meta.Kind { return meta.KindIssuer }

// GetMeta returns the object's metadata.
func (i *Issuer) GetMeta() *meta.ObjectMeta { return &i.ObjectMeta }

// ClusterIssuer is an Issuer usable from every namespace. Secrets it refers to
// live in the Manager's cluster resource namespace.
type ClusterIssuer struct {
	meta.TypeMeta `json:",inline"`
	ObjectMeta    meta.ObjectMeta `json:"metadata"`
	Spec          Spec            `json:"spec"`
	Status        Status          `json:"status,omitempty"`
}

// GetKind returns meta.KindClusterIssuer.
func (i *ClusterIssuer) GetKind() meta.Kind { return meta.KindClusterIssuer }

// GetMeta returns the object's metadata.
func (i *ClusterIssuer) GetMeta() *meta.ObjectMeta { return &i.ObjectMeta }

// Spec configures an issuer: exactly one of ACME, CA and SelfSigned is set.
type Spec struct {
	ACME       *ACMEIssuer       `json:"acme,omitempty"`
	CA         *CAIssuer         `json:"ca,omitempty"`
	SelfSigned *SelfSignedIssuer `json:"selfSigned,omitempty"`
}

// Type names which issuer kind a Spec configures.
type Type string

// Issuer types.
const (
	TypeACME       Type = "ACME"
	TypeCA         Type = "CA"
	TypeSelfSigned Type = "SelfSigned"
)

// Type returns the configured issuer type, or "" when none or several are set.
func (s Spec) Type() Type {
	n, t := 0, Type("")
	if s.ACME != nil {
		n, t = n+1, TypeACME
	}
	if s.CA != nil {
		n, t = n+1, TypeCA
	}
	if s.SelfSigned != nil {
		n, t = n+1, TypeSelfSigned
	}
	if n != 1 {
		return ""
	}
	return t
}

// SelfSignedIssuer signs each request with the request's own key.
type SelfSignedIssuer struct {
	// CRLDistributionPoints is accepted for compatibility and written into issued certificates.
	CRLDistributionPoints []string `json:"crlDistributionPoints,omitempty"`
}

// CAIssuer signs with the key pair in SecretName (tls.crt, tls.key).
type CAIssuer struct {
	SecretName            string   `json:"secretName"`
	CRLDistributionPoints []string `json:"crlDistributionPoints,omitempty"`
	OCSPServers           []string `json:"ocspServers,omitempty"`
}

// ACMEIssuer is cert-manager's ACMEIssuer.
type ACMEIssuer struct {
	// Server is the ACME directory URL.
	Server string `json:"server"`
	// Email is registered as the account contact. If empty, no contact is sent.
	Email string `json:"email,omitempty"`
	// PrivateKeySecretRef holds the account key (key tls.key if Key is
	// empty); it is created (ECDSA P-256) when missing.
	PrivateKeySecretRef meta.LocalRef `json:"privateKeySecretRef"`
	// PreferredChain selects, among the CA's alternate chains, the one whose
	// top certificate's issuer common name matches. If empty or not offered,
	// the default chain is used.
	PreferredChain         string                  `json:"preferredChain,omitempty"`
	ExternalAccountBinding *ExternalAccountBinding `json:"externalAccountBinding,omitempty"`
	// Profile names the ACME certificate profile to request. If empty, none is named.
	Profile string `json:"profile,omitempty"`
	// SkipTLSVerify trusts any certificate of the ACME server: for test CAs only.
	SkipTLSVerify bool `json:"skipTLSVerify,omitempty"`
	// CABundle is PEM roots to trust for the ACME server. If empty, the
	// system roots (or the Manager's HTTP client) are used.
	CABundle []byte          `json:"caBundle,omitempty"`
	Solvers  []solver.Config `json:"solvers,omitempty"`
	// DisableAccountKeyGeneration makes a missing account key an error.
	DisableAccountKeyGeneration bool `json:"disableAccountKeyGeneration,omitempty"`
	// AccountKeyAlgorithm is a certflow extension: ECDSA (default) or RSA.
	AccountKeyAlgorithm string `json:"accountKeyAlgorithm,omitempty"`
}

// ExternalAccountBinding is cert-manager's ACMEExternalAccountBinding.
type ExternalAccountBinding struct {
	KeyID        string                   `json:"keyID"`
	KeySecretRef solver.SecretKeySelector `json:"keySecretRef"`
	// KeyAlgorithm is deprecated in cert-manager and ignored: HS256 is used.
	KeyAlgorithm string `json:"keyAlgorithm,omitempty"`
}

// Status is an issuer's observed state.
type Status struct {
	Conditions meta.Conditions `json:"conditions,omitempty"`
	ACME       *ACMEStatus     `json:"acme,omitempty"`
}

// ACMEStatus records the registered ACME account.
type ACMEStatus struct {
	URI                 string `json:"uri,omitempty"`
	LastRegisteredEmail string `json:"lastRegisteredEmail,omitempty"`
	// LastPrivateKeyHash lets the reconciler notice a replaced account key.
	LastPrivateKeyHash string `json:"lastPrivateKeyHash,omitempty"`
	// Deactivated is a certflow extension: the account at URI was
	// deactivated (Manager.DeactivateAccount). The issuer stays not Ready
	// and registers no new account until its account key is replaced.
	Deactivated bool `json:"deactivated,omitempty"`
	// HeldUntil is a certflow extension: until when the CA last asked the
	// account (of LastPrivateKeyHash) to send nothing (the Retry-After of
	// a 429 or a 503, capped as the account's hold in memory is). Every
	// Manager sharing the Store, restarted or not, holds the account's
	// requests until then (accounthold.go).
	HeldUntil *time.Time `json:"heldUntil,omitempty"`
}

// Reasons on an issuer's Ready condition, as cert-manager spells them.
const (
	ReasonACMEAccountRegistered  meta.Reason = "ACMEAccountRegistered"
	ReasonErrRegisterACMEAccount meta.Reason = "ErrRegisterACMEAccount"
	ReasonErrInitIssuer          meta.Reason = "ErrInitIssuer"
	ReasonInvalidConfig          meta.Reason = "InvalidConfig"
	ReasonKeyPairVerified        meta.Reason = "KeyPairVerified"
	ReasonErrGetKeyPair          meta.Reason = "ErrGetKeyPair"
	ReasonErrInvalidKeyPair      meta.Reason = "ErrInvalidKeyPair"
	ReasonIsReady                meta.Reason = "IsReady"
	// ReasonACMEAccountDeactivated (a certflow extension): the account was
	// deactivated at the CA on request; on the Ready condition and its event.
	ReasonACMEAccountDeactivated meta.Reason = "ACMEAccountDeactivated"
)

// Event reasons of account key changes (certflow extensions).
const (
	// ReasonACMEAccountKeyRolledOver: the account now signs with the key
	// in privateKeySecretRef; its URL did not change (RFC 8555 §7.3.5).
	ReasonACMEAccountKeyRolledOver meta.Reason = "ACMEAccountKeyRolledOver"
)

// Object is either an *Issuer or a *ClusterIssuer.
type Object interface {
	meta.Object
	IssuerSpec() *Spec
	IssuerStatus() *Status
}

// IssuerSpec returns the spec.
func (i *Issuer) IssuerSpec() *Spec { return &i.Spec }

// IssuerStatus returns the status.
func (i *Issuer) IssuerStatus() *Status { return &i.Status }

// IssuerSpec returns the spec.
func (i *ClusterIssuer) IssuerSpec() *Spec { return &i.Spec }

// IssuerStatus returns the status.
func (i *ClusterIssuer) IssuerStatus() *Status { return &i.Status }
