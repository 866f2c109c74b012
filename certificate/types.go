package certificate

import (
	"time"

	"github.com/certflow/certflow/meta"
)

// Certificate asks for a key pair, signed by IssuerRef, kept in SecretName,
// and renewed before it expires.
type Certificate struct {
	meta.TypeMeta `json:",inline"`
	ObjectMeta    meta.ObjectMeta `json:"metadata"`
	Spec          Spec            `json:"spec"`
	Status        Status          `json:"status,omitempty"`
}

// GetKind returns meta.KindCertificate.
func (c *Certificate) GetKind() meta.Kind { return meta.KindCertificate }

// GetMeta returns the object's metadata.
func (c *Certificate) GetMeta() *meta.ObjectMeta { return &c.ObjectMeta }

// Spec is cert-manager's CertificateSpec.
type Spec struct {
	SecretName     string          `json:"secretName"`
	SecretTemplate *SecretTemplate `json:"secretTemplate,omitempty"`
	IssuerRef      meta.IssuerRef  `json:"issuerRef"`
	CommonName     string          `json:"commonName,omitempty"`
	DNSNames       []string        `json:"dnsNames,omitempty"`
	IPAddresses    []string        `json:"ipAddresses,omitempty"`
	URIs           []string        `json:"uris,omitempty"`
	EmailAddresses []string        `json:"emailAddresses,omitempty"`
	Subject        *Subject        `json:"subject,omitempty"`
	// Duration is the requested lifetime. If nil, 90 days (2160h).
	Duration *meta.Duration `json:"duration,omitempty"`
	// RenewBefore is how long before expiry to renew. If nil,
	// RenewBeforePercentage is used, else a third of the lifetime.
	RenewBefore *meta.Duration `json:"renewBefore,omitempty"`
	// RenewBeforePercentage is the share of the lifetime left at renewal, in (0,100).
	RenewBeforePercentage *int32      `json:"renewBeforePercentage,omitempty"`
	PrivateKey            *PrivateKey `json:"privateKey,omitempty"`
	// Usages defaults to digital signature and key encipherment.
	Usages []KeyUsage `json:"usages,omitempty"`
	IsCA   bool       `json:"isCA,omitempty"`
	// RevisionHistoryLimit is how many CertificateRequests to keep. If nil, 1.
	RevisionHistoryLimit *int32 `json:"revisionHistoryLimit,omitempty"`
	// FallbackIssuerRefs are issuers tried in order when IssuerRef (and
	// each one before) cannot issue: rate limited, unreachable, not Ready,
	// or refusing an identifier. Every issuance, renewals included, starts
	// again at IssuerRef. A certflow extension; if empty, IssuerRef alone.
	FallbackIssuerRefs []meta.IssuerRef `json:"fallbackIssuerRefs,omitempty"`
}

// SecretTemplate adds labels and annotations to the Secret.
type SecretTemplate struct {
	Annotations map[string]string `json:"annotations,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
}

// Subject is the X.509 subject beyond the common name.
type Subject struct {
	Organizations       []string `json:"organizations,omitempty"`
	Countries           []string `json:"countries,omitempty"`
	OrganizationalUnits []string `json:"organizationalUnits,omitempty"`
	Localities          []string `json:"localities,omitempty"`
	Provinces           []string `json:"provinces,omitempty"`
	StreetAddresses     []string `json:"streetAddresses,omitempty"`
	PostalCodes         []string `json:"postalCodes,omitempty"`
	SerialNumber        string   `json:"serialNumber,omitempty"`
}

// PrivateKey configures the certificate's key.
type PrivateKey struct {
	// Algorithm is RSA (the default, as in cert-manager), ECDSA or Ed25519.
	Algorithm KeyAlgorithm `json:"algorithm,omitempty"`
	// Size is the RSA modulus (2048 default; 3072, 4096, 8192) or the ECDSA
	// curve (256 default; 384, 521). Ignored for Ed25519.
	Size int `json:"size,omitempty"`
	// Encoding is PKCS1 (default) or PKCS8. Ed25519 keys are always PKCS8.
	Encoding KeyEncoding `json:"encoding,omitempty"`
	// RotationPolicy is Always (default, as in cert-manager v1.18) or Never.
	RotationPolicy RotationPolicy `json:"rotationPolicy,omitempty"`
}

// KeyAlgorithm names a private key algorithm.
type KeyAlgorithm string

// Key algorithms.
const (
	RSA     KeyAlgorithm = "RSA"
	ECDSA   KeyAlgorithm = "ECDSA"
	Ed25519 KeyAlgorithm = "Ed25519"
)

// KeyEncoding names a private key PEM encoding.
type KeyEncoding string

// Key encodings.
const (
	PKCS1 KeyEncoding = "PKCS1"
	PKCS8 KeyEncoding = "PKCS8"
)

// RotationPolicy says whether a renewal gets a new key.
type RotationPolicy string

// Rotation policies.
const (
	RotationAlways RotationPolicy = "Always"
	RotationNever  RotationPolicy = "Never"
)

// KeyUsage is an X.509 key usage or extended key usage, as cert-manager spells it.
type KeyUsage string

// Key usages.
const (
	UsageSigning           KeyUsage = "signing"
	UsageDigitalSignature  KeyUsage = "digital signature"
	UsageContentCommitment KeyUsage = "content commitment"
	UsageKeyEncipherment   KeyUsage = "key encipherment"
	UsageKeyAgreement      KeyUsage = "key agreement"
	UsageDataEncipherment  KeyUsage = "data encipherment"
	UsageCertSign          KeyUsage = "cert sign"
	UsageCRLSign           KeyUsage = "crl sign"
	UsageEncipherOnly      KeyUsage = "encipher only"
	UsageDecipherOnly      KeyUsage = "decipher only"
	UsageAny               KeyUsage = "any"
	UsageServerAuth        KeyUsage = "server auth"
	UsageClientAuth        KeyUsage = "client auth"
	UsageCodeSigning       KeyUsage = "code signing"
	UsageEmailProtection   KeyUsage = "email protection"
	UsageSMIME             KeyUsage = "s/mime"
	UsageIPsecEndSystem    KeyUsage = "ipsec end system"
	UsageIPsecTunnel       KeyUsage = "ipsec tunnel"
	UsageIPsecUser         KeyUsage = "ipsec user"
	UsageTimestamping      KeyUsage = "timestamping"
	UsageOCSPSigning       KeyUsage = "ocsp signing"
	UsageMicrosoftSGC      KeyUsage = "microsoft sgc"
	UsageNetscapeSGC       KeyUsage = "netscape sgc"
)

// Status is cert-manager's CertificateStatus.
type Status struct {
	Conditions meta.Conditions `json:"conditions,omitempty"`
	NotBefore  *time.Time      `json:"notBefore,omitempty"`
	NotAfter   *time.Time      `json:"notAfter,omitempty"`
	// RenewalTime is when the next issuance starts.
	RenewalTime *time.Time `json:"renewalTime,omitempty"`
	// Revision counts successful issuances; the next request is <name>-<revision+1>.
	Revision               *int       `json:"revision,omitempty"`
	LastFailureTime        *time.Time `json:"lastFailureTime,omitempty"`
	FailedIssuanceAttempts *int       `json:"failedIssuanceAttempts,omitempty"`
	// NextPrivateKeySecretName names the temporary Secret holding the key of
	// the issuance in progress.
	NextPrivateKeySecretName string `json:"nextPrivateKeySecretName,omitempty"`
	// ACME is what the ACME CA said about the current certificate
	// (cert-manager's status.acme); nil for other issuers.
	ACME *ACMEStatus `json:"acme,omitempty"`
	// IssuedBy names the issuer of the current certificate: spec.issuerRef
	// or one of spec.fallbackIssuerRefs (a certflow extension). nil before
	// the first issuance.
	IssuedBy *meta.IssuerRef `json:"issuedBy,omitempty"`
	// SkippedIssuers are the issuers passed over in the latest issuance
	// (done or in progress), in order, each with why (a certflow
	// extension). Empty when the first issuer was used.
	SkippedIssuers []SkippedIssuer `json:"skippedIssuers,omitempty"`
}

// ACMEStatus is cert-manager's CertificateACMEStatus.
type ACMEStatus struct {
	// ARI is the CA's ACME Renewal Information (RFC 9773) for the current
	// certificate.
	ARI *ARIStatus `json:"ari,omitempty"`
}

// ARIStatus is cert-manager's CertificateACMEARIStatus, with the CertID
// the information is about and the renewal time chosen in the window.
type ARIStatus struct {
	// CertID names the certificate the information is about (RFC 9773
	// §4.1); information about another one (before a renewal) is ignored.
	CertID string `json:"certID,omitempty"`
	// SuggestedWindow is the CA's suggested renewal window; nil until the
	// CA gave one.
	SuggestedWindow *RenewalWindow `json:"suggestedWindow,omitempty"`
	// ExplanationURL, if the CA gave one, says why the window is there.
	ExplanationURL string `json:"explanationURL,omitempty"`
	// SelectedTime is the renewal time drawn uniformly at random inside
	// SuggestedWindow, once per window, so that restarts and replicas agree.
	SelectedTime *time.Time `json:"selectedTime,omitempty"`
	// LastChecked is when the CA was last asked.
	LastChecked *time.Time `json:"lastChecked,omitempty"`
	// NextCheck is when the CA is asked again (its Retry-After, bounded).
	NextCheck *time.Time `json:"nextCheck,omitempty"`
	// LastError is why the last check failed; empty if it succeeded.
	LastError string `json:"lastError,omitempty"`
}

// RenewalWindow is cert-manager's ACMERenewalWindow.
type RenewalWindow struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Reasons on a Certificate's conditions and events.
const (
	ReasonIssued          meta.Reason = "Issued"
	ReasonIssuing         meta.Reason = "Issuing"
	ReasonFailed          meta.Reason = "Failed"
	ReasonInvalid         meta.Reason = "Invalid"
	ReasonDoesNotExist    meta.Reason = "DoesNotExist"
	ReasonMissingData     meta.Reason = "MissingData"
	ReasonInvalidKeyPair  meta.Reason = "InvalidKeyPair"
	ReasonSecretMismatch  meta.Reason = "SecretMismatch"
	ReasonIncorrectIssuer meta.Reason = "IncorrectIssuer"
	ReasonRenewing        meta.Reason = "Renewing"
	ReasonExpired         meta.Reason = "Expired"
	ReasonManuallyTrigger meta.Reason = "ManuallyTriggered"
	ReasonReady           meta.Reason = "Ready"
	ReasonKeyGenerated    meta.Reason = "Generated"
	ReasonRequested       meta.Reason = "Requested"
	ReasonIssuerNotReady  meta.Reason = "IssuerNotReady"
	ReasonBackoff         meta.Reason = "Backoff"
	// Reasons of cert-manager's trigger policy chain (policies/constants.go).
	ReasonInvalidCertificate        meta.Reason = "InvalidCertificate"
	ReasonInvalidCertificateRequest meta.Reason = "InvalidCertificateRequest"
	ReasonIncorrectCertificate      meta.Reason = "IncorrectCertificate"
	ReasonRequestChanged            meta.Reason = "RequestChanged"
	// ReasonDuplicateSecretName marks Certificates of one namespace naming the
	// same secretName: the one owning the Secret issues, the others wait.
	ReasonDuplicateSecretName meta.Reason = "DuplicateSecretName"
	// ReasonARIError: fetching ACME Renewal Information failed
	// (cert-manager's policies.ARIError).
	ReasonARIError meta.Reason = "ARIError"
)
