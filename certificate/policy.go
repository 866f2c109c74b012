package certificate

import (
	"crypto"
	"crypto/x509"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
)

// AnnotationSpecHash on a Secret or CertificateRequest records the hash of
// the issuance-relevant spec it was made for.
const AnnotationSpecHash = "certflow.io/spec-hash"

// Input is the snapshot issuance decisions are made over.
type Input struct {
	Cert   *Certificate
	Secret *secret.Secret // nil when it does not exist
	Now    time.Time
}

// Trigger says why a certificate must be (re)issued.
type Trigger struct {
	Reason  meta.Reason
	Message string
}

// check is one issuance policy: it returns a trigger when it fires.
type check func(in Input, kp *keyPair) (Trigger, bool)

// checks run in order; the first that fires names the reason, as
// cert-manager's policy chain does.
func checks() []check {
	return []check{
		secretDoesNotExist,
		secretHasData,
		secretKeyPairValid,
		secretIssuerMatches,
		secretKeyMatchesSpec,
		secretNamesMatchSpec,
		secretSpecHashMatches,
		certificateExpired,
		renewalTimeReached,
	}
}

// keyPair is the parsed content of the current Secret.
type keyPair struct {
	leaf *x509.Certificate
	key  crypto.Signer
	err  error
}

// IssuanceTrigger returns why the certificate needs issuing, if it does.
func IssuanceTrigger(in Input) (Trigger, bool) {
	kp := parseKeyPair(in.Secret)
	for _, c := range checks() {
		if t, ok := c(in, kp); ok {
			return t, true
		}
	}
	return Trigger{}, false
}

func parseKeyPair(s *secret.Secret) *keyPair {
	if s == nil || len(s.Data[secret.TLSCertKey]) == 0 || len(s.Data[secret.TLSKeyKey]) == 0 {
		return nil
	}
	kp := &keyPair{}
	chain, err := pki.ParseChain(s.Data[secret.TLSCertKey])
	if err != nil {
		kp.err = err
		return kp
	}
	kp.leaf = chain[0]
	kp.key, kp.err = pki.ParsePrivateKey(s.Data[secret.TLSKeyKey])
	return kp
}

func secretDoesNotExist(in Input, _ *keyPair) (Trigger, bool) {
	if in.Secret == nil {
		return Trigger{ReasonDoesNotExist, fmt.Sprintf("Issuing certificate as Secret %q does not exist", in.Cert.Spec.SecretName)}, true
	}
	return Trigger{}, false
}

func secretHasData(in Input, kp *keyPair) (Trigger, bool) {
	if kp == nil {
		return Trigger{ReasonMissingData, fmt.Sprintf("Issuing certificate as Secret %q does not contain a certificate and key", in.Cert.Spec.SecretName)}, true
	}
	return Trigger{}, false
}

func secretKeyPairValid(_ Input, kp *keyPair) (Trigger, bool) {
	switch {
	case kp.err != nil:
		return Trigger{ReasonInvalidKeyPair, "Issuing certificate as Secret contains invalid data: " + kp.err.Error()}, true
	case !pki.PublicKeysEqual(kp.key.Public(), kp.leaf.PublicKey):
		return Trigger{ReasonInvalidKeyPair, "Issuing certificate as Secret's private key does not match its certificate"}, true
	}
	return Trigger{}, false
}

func secretIssuerMatches(in Input, _ *keyPair) (Trigger, bool) {
	ref := in.Cert.Spec.IssuerRef.Resolve(in.Cert.ObjectMeta.Namespace)
	a := in.Secret.ObjectMeta.Annotations
	if a[secret.AnnotationIssuerName] != ref.Name || a[secret.AnnotationIssuerKind] != string(ref.Kind) {
		return Trigger{ReasonIncorrectIssuer, fmt.Sprintf("Issuing certificate as Secret was previously issued by %s/%s",
			a[secret.AnnotationIssuerKind], a[secret.AnnotationIssuerName])}, true
	}
	return Trigger{}, false
}

func secretKeyMatchesSpec(in Input, kp *keyPair) (Trigger, bool) {
	k := in.Cert.Spec.KeyConfig()
	if !pki.KeyMatches(kp.key, string(k.Algorithm), k.Size) {
		return Trigger{ReasonSecretMismatch, fmt.Sprintf("Issuing certificate as Secret's private key is not %s %d", k.Algorithm, k.Size)}, true
	}
	return Trigger{}, false
}

func secretNamesMatchSpec(in Input, kp *keyPair) (Trigger, bool) {
	s := &in.Cert.Spec
	if diff := namesDiff(s, kp.leaf); diff != "" {
		return Trigger{ReasonSecretMismatch, "Issuing certificate as Secret's certificate does not match the spec: " + diff}, true
	}
	return Trigger{}, false
}

func secretSpecHashMatches(in Input, _ *keyPair) (Trigger, bool) {
	if got := in.Secret.ObjectMeta.Annotations[AnnotationSpecHash]; got != SpecHash(&in.Cert.Spec) {
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
	rt := RenewalTime(kp.leaf.NotBefore, kp.leaf.NotAfter, &in.Cert.Spec, JitterKey(in.Cert))
	if !in.Now.Before(rt) {
		return Trigger{ReasonRenewing, fmt.Sprintf("Renewing certificate as renewal was scheduled at %s", rt.UTC().Format(time.RFC3339))}, true
	}
	return Trigger{}, false
}

// JitterKey is what a certificate's renewal jitter is derived from.
func JitterKey(c *Certificate) string { return c.ObjectMeta.Namespace + "/" + c.ObjectMeta.Name }

// namesDiff describes how leaf's names differ from the spec, or "".
func namesDiff(s *Spec, leaf *x509.Certificate) string {
	var diffs []string
	if s.CommonName != "" && s.CommonName != leaf.Subject.CommonName {
		diffs = append(diffs, fmt.Sprintf("commonName %q != %q", leaf.Subject.CommonName, s.CommonName))
	}
	cmp := func(field string, want, got []string) {
		if !slices.Equal(want, got) {
			diffs = append(diffs, fmt.Sprintf("%s %v != %v", field, got, want))
		}
	}
	cmp("dnsNames", normalized(dnsNamesWanted(s), strings.ToLower), normalized(leaf.DNSNames, strings.ToLower))
	cmp("ipAddresses", normalized(s.IPAddresses, canonicalIP), normalized(ipStrings(leaf.IPAddresses), canonicalIP))
	cmp("uris", normalized(s.URIs, nil), normalized(uriStrings(leaf), nil))
	cmp("emailAddresses", normalized(s.EmailAddresses, strings.ToLower), normalized(leaf.EmailAddresses, strings.ToLower))
	return strings.Join(diffs, "; ")
}

// dnsNamesWanted are the spec's DNS names; like cert-manager, a common name
// that is not also listed does not become a SAN.
func dnsNamesWanted(s *Spec) []string { return s.DNSNames }

func normalized(in []string, f func(string) string) []string {
	out := make([]string, 0, len(in))
	for _, v := range in {
		if f != nil {
			v = f(v)
		}
		out = append(out, v)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func canonicalIP(s string) string {
	if ip := net.ParseIP(s); ip != nil {
		return ip.String()
	}
	return s
}

func ipStrings(ips []net.IP) []string {
	out := make([]string, len(ips))
	for i, ip := range ips {
		out[i] = ip.String()
	}
	return out
}

func uriStrings(c *x509.Certificate) []string {
	out := make([]string, len(c.URIs))
	for i, u := range c.URIs {
		out[i] = u.String()
	}
	return out
}
