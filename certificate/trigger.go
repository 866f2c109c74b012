package certificate

import (
	"crypto"
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
)

// AnnotationSpecHash on a Secret or CertificateRequest records the hash of
// the issuance-relevant spec it was made for.
const AnnotationSpecHash = "certflow.io/spec-hash"

// AnnotationIssuerGroup names the issuer's API group on a Secret, as
// cert-manager writes it.
const AnnotationIssuerGroup = "cert-manager.io/issuer-group"

// Input is the snapshot issuance decisions are made over, as cert-manager's
// policies.Input.
type Input struct {
	Cert   *Certificate
	Secret *secret.Secret // nil when it does not exist
	// CurrentRequest is the CertificateRequest that produced the current
	// Secret (revision N), if it is still stored. Spec changes are detected
	// against it; without it the leaf is compared loosely.
	CurrentRequest *request.CertificateRequest
	Now            time.Time
	// parse, if set, remembers parsed CSRs across decisions.
	parse *parsers
}

// Trigger says why a certificate must be (re)issued.
type Trigger struct {
	Reason  meta.Reason
	Message string
}

// check is one issuance policy: it returns a trigger when it fires.
type check func(in Input, kp *keyPair) (Trigger, bool)

// triggerChain is cert-manager's NewTriggerPolicyChain
// (internal/controller/certificates/policies/policies.go, v1.21.1), in its
// order; the first check that fires names the reason. certflow adds
// certificateExpired before the renewal check so an expired certificate says
// so.
func triggerChain() []check {
	return []check{
		secretDoesNotExist,
		secretIsMissingData,
		secretPublicKeysDiffer,
		secretIssuerAnnotationsMismatch,
		secretCertificateNameAnnotationMismatch,
		secretPrivateKeyMismatchesSpec,
		secretPublicKeyDiffersFromCurrentRequest,
		currentRequestMismatchesSpec,
		certificateExpired,
		renewalTimeReached,
	}
}

// keyPair is the parsed content of the current Secret.
type keyPair struct {
	leaf   *x509.Certificate
	key    crypto.Signer
	keyErr error
	crtErr error
}

// IssuanceTrigger returns why the certificate needs issuing, if it does.
func IssuanceTrigger(in Input) (Trigger, bool) {
	return issuanceTrigger(in, parseKeyPair(in.Secret, nil))
}

// issuanceTrigger is IssuanceTrigger over the Secret's key pair parsed by
// the caller, which needs it too (parsing a private key is not free).
func issuanceTrigger(in Input, kp *keyPair) (Trigger, bool) {
	for _, c := range triggerChain() {
		if t, ok := c(in, kp); ok {
			return t, true
		}
	}
	return Trigger{}, false
}

func parseKeyPair(s *secret.Secret, p *parsers) *keyPair {
	kp := &keyPair{}
	if s == nil {
		return kp
	}
	kp.key, kp.keyErr = p.key(s)
	if chain, err := p.chain(s.Data[secret.TLSCertKey]); err != nil {
		kp.crtErr = err
	} else {
		kp.leaf = chain[0]
	}
	return kp
}

// valid reports whether the Secret holds a matching key and certificate.
func (kp *keyPair) valid() bool {
	return kp.keyErr == nil && kp.crtErr == nil && kp.leaf != nil && pki.PublicKeysEqual(kp.key.Public(), kp.leaf.PublicKey)
}

func secretDoesNotExist(in Input, _ *keyPair) (Trigger, bool) {
	if in.Secret == nil {
		return Trigger{ReasonDoesNotExist, "Issuing certificate as Secret does not exist"}, true
	}
	return Trigger{}, false
}

func secretIsMissingData(in Input, _ *keyPair) (Trigger, bool) {
	switch {
	case in.Secret.Data == nil:
		return Trigger{ReasonMissingData, "Issuing certificate as Secret does not contain any data"}, true
	case len(in.Secret.Data[secret.TLSKeyKey]) == 0:
		return Trigger{ReasonMissingData, "Issuing certificate as Secret does not contain a private key"}, true
	case len(in.Secret.Data[secret.TLSCertKey]) == 0:
		return Trigger{ReasonMissingData, "Issuing certificate as Secret does not contain a certificate"}, true
	}
	return Trigger{}, false
}

func secretPublicKeysDiffer(_ Input, kp *keyPair) (Trigger, bool) {
	switch {
	case kp.keyErr != nil:
		return Trigger{ReasonInvalidKeyPair, "Issuing certificate as Secret contains invalid private key data: " + kp.keyErr.Error()}, true
	case kp.crtErr != nil:
		return Trigger{ReasonInvalidCertificate, "Issuing certificate as Secret contains an invalid certificate: " + kp.crtErr.Error()}, true
	case !pki.PublicKeysEqual(kp.key.Public(), kp.leaf.PublicKey):
		return Trigger{ReasonInvalidKeyPair, "Issuing certificate as Secret contains a private key that does not match the certificate"}, true
	}
	return Trigger{}, false
}

// secretIssuerAnnotationsMismatch keeps cert-manager's expression as written:
// the name is compared only when an issuer annotation is present, the kind
// and group always (empty ones read as Issuer and cert-manager.io).
func secretIssuerAnnotationsMismatch(in Input, _ *keyPair) (Trigger, bool) {
	a := in.Secret.ObjectMeta.Annotations
	name, ok1 := a[secret.AnnotationIssuerName]
	kind, ok2 := a[secret.AnnotationIssuerKind]
	group, ok3 := a[AnnotationIssuerGroup]
	// A fallback issuer that issued the leaf is as right as spec.issuerRef.
	ref := secretIssuer(in.Cert, a)
	if (ok1 || ok2 || ok3) && name != ref.Name || issuerKind(kind) != issuerKind(string(ref.Kind)) || issuerGroup(group) != issuerGroup(ref.Group) {
		return Trigger{ReasonIncorrectIssuer, fmt.Sprintf("Issuing certificate as Secret was previously issued by %q",
			issuerKind(kind)+"."+issuerGroup(group)+"/"+name)}, true
	}
	return Trigger{}, false
}

func secretCertificateNameAnnotationMismatch(in Input, _ *keyPair) (Trigger, bool) {
	if name, ok := in.Secret.ObjectMeta.Annotations[secret.AnnotationCertificateName]; ok && name != in.Cert.ObjectMeta.Name {
		return Trigger{ReasonIncorrectCertificate, fmt.Sprintf("Secret was issued for %q. If this message is not transient, you might have two conflicting Certificates pointing to the same secret.", name)}, true
	}
	return Trigger{}, false
}

func secretPrivateKeyMismatchesSpec(in Input, kp *keyPair) (Trigger, bool) {
	if v := privateKeyMatchesSpec(kp.key, &in.Cert.Spec); len(v) > 0 {
		return Trigger{ReasonSecretMismatch, fmt.Sprintf("Existing private key is not up to date for spec: %v", v)}, true
	}
	return Trigger{}, false
}

func secretPublicKeyDiffersFromCurrentRequest(in Input, kp *keyPair) (Trigger, bool) {
	if in.CurrentRequest == nil {
		return Trigger{}, false
	}
	csr, err := in.parse.csr(in.CurrentRequest)
	if err != nil {
		return Trigger{ReasonInvalidCertificateRequest, "Failed to decode current CertificateRequest: " + err.Error()}, true
	}
	if !pki.PublicKeysEqual(kp.key.Public(), csr.PublicKey) {
		return Trigger{ReasonSecretMismatch, "Secret contains a private key that does not match the current CertificateRequest"}, true
	}
	return Trigger{}, false
}

// currentRequestMismatchesSpec compares the spec with what was asked of the
// CA. Without the request it falls back to a loose comparison of the leaf
// (names may move between commonName and SANs, as CAs move them) and, for
// the fields a leaf does not show, to the spec hash certflow recorded on the
// Secret; a Secret written by cert-manager has none and is adopted.
func currentRequestMismatchesSpec(in Input, kp *keyPair) (Trigger, bool) {
	if in.CurrentRequest != nil {
		v, err := requestMatchesSpec(in.CurrentRequest, &in.Cert.Spec, in.parse)
		if err != nil {
			// The Secret may still be valid: no re-issuance for an unreadable request.
			return Trigger{}, false
		}
		if len(v) > 0 {
			return Trigger{ReasonRequestChanged, fmt.Sprintf("Fields on existing CertificateRequest resource not up to date: %v", v)}, true
		}
		return Trigger{}, false
	}
	if v := fuzzyAltNamesMatchSpec(kp.leaf, &in.Cert.Spec); len(v) > 0 {
		return Trigger{ReasonSecretMismatch, fmt.Sprintf("Issuing certificate as Existing issued Secret is not up to date for spec: %v", v)}, true
	}
	if h := in.Secret.ObjectMeta.Annotations[AnnotationSpecHash]; strings.HasPrefix(h, specHashVersion) && h != SpecHash(&in.Cert.Spec) {
		return Trigger{ReasonSecretMismatch, "Issuing certificate as the Certificate's spec changed since the last issuance"}, true
	}
	return Trigger{}, false
}

func certificateExpired(in Input, kp *keyPair) (Trigger, bool) {
	if !in.Now.Before(kp.leaf.NotAfter) {
		return Trigger{ReasonExpired, fmt.Sprintf("Issuing certificate as it expired at %s", kp.leaf.NotAfter.UTC().Format(time.RFC3339))}, true
	}
	return Trigger{}, false
}

func renewalTimeReached(in Input, kp *keyPair) (Trigger, bool) {
	rt := renewalTimeOf(in.Cert, kp.leaf)
	if !in.Now.Before(rt) {
		return Trigger{ReasonRenewing, fmt.Sprintf("Renewing certificate as renewal was scheduled at %s", rt.UTC().Format(time.RFC3339))}, true
	}
	return Trigger{}, false
}

// JitterKey is what a certificate's renewal jitter is derived from.
func JitterKey(c *Certificate) string { return c.ObjectMeta.Namespace + "/" + c.ObjectMeta.Name }
