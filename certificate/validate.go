package certificate

import (
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/certflow/certflow/meta"
)

// Limits enforced by Validate, as cert-manager enforces them.
const (
	// MinDuration is the shortest lifetime a Certificate may request.
	MinDuration = time.Hour
	// MinRenewBefore is the shortest renewBefore (given or derived from
	// renewBeforePercentage) a Certificate may ask for.
	MinRenewBefore = 5 * time.Minute
	// MaxCommonNameLength is X.509's ub-common-name, in bytes.
	MaxCommonNameLength = 64
	// MinRSASize and MaxRSASize bound privateKey.size for RSA keys, as in
	// cert-manager (pki.MinRSAKeySize, pki.MaxRSAKeySize).
	MinRSASize = 2048
	MaxRSASize = 8192
	// MaxSecretTemplateAnnotationsSize is the total size of the
	// secretTemplate's annotation keys and values, in bytes (Kubernetes'
	// TotalAnnotationSizeLimitB, which cert-manager applies).
	MaxSecretTemplateAnnotationsSize = 256 << 10
	// AnnotationAllowDirectInjection is the one cert-manager.io/ annotation
	// a secretTemplate may carry.
	AnnotationAllowDirectInjection = "cert-manager.io/allow-direct-injection"
)

// ErrInvalid is matched (errors.Is) by every error Validate returns.
var ErrInvalid = errors.New("certificate: invalid")

// ValidationError is one problem with one field of a Certificate.
type ValidationError struct {
	// Field is the path of the offending field, e.g. "spec.dnsNames[1]".
	Field string
	// Value is the offending value as written; empty when the problem is an
	// absence or the value does not read well in a message.
	Value string
	// Problem says what is wrong and, where it helps, what would be right.
	Problem string
}

// Error renders `field: "value": problem`.
func (e *ValidationError) Error() string {
	if e.Value == "" {
		return e.Field + ": " + e.Problem
	}
	return fmt.Sprintf("%s: %q: %s", e.Field, e.Value, e.Problem)
}

// Is reports whether target is ErrInvalid.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// ValidationErrors lists every problem Validate found, in field order.
// errors.As finds the individual *ValidationError items.
type ValidationErrors []*ValidationError

// Error renders all problems on one line, separated by "; ".
func (es ValidationErrors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return "certificate: invalid: " + strings.Join(parts, "; ")
}

// Is reports whether target is ErrInvalid.
func (es ValidationErrors) Is(target error) bool { return target == ErrInvalid }

// Unwrap returns the items, so errors.As can reach each *ValidationError.
func (es ValidationErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// validator collects problems so that one call reports all of them.
type validator struct{ errs ValidationErrors }

func (v *validator) add(field, value, problem string) {
	v.errs = append(v.errs, &ValidationError{Field: field, Value: value, Problem: problem})
}

// Validate checks c the way cert-manager's admission webhook checks a
// Certificate, plus the name rules certflow's Store relies on. It returns nil
// or a ValidationErrors listing every problem found (errors.Is(err,
// ErrInvalid) holds). It does not look up the issuer: whether it exists and
// may be used is the reconciler's business. An issuerRef cannot name another
// namespace (cert-manager's has no such field); package manifest rejects
// manifests that try.
func Validate(c *Certificate) error {
	if c == nil {
		return ValidationErrors{{Field: "certificate", Problem: "is nil"}}
	}
	var v validator
	v.objectMeta(&c.ObjectMeta)
	v.spec(&c.Spec)
	if len(v.errs) == 0 {
		return nil
	}
	return v.errs
}

func (v *validator) objectMeta(m *meta.ObjectMeta) {
	switch {
	case m.Name == "":
		v.add("metadata.name", "", "is required")
	case !isSubdomain(m.Name):
		v.add("metadata.name", m.Name, subdomainProblem)
	}
	if m.Namespace != "" && !isLabel(m.Namespace) {
		v.add("metadata.namespace", m.Namespace, "must be a DNS-1123 label: at most 63 lower-case letters, digits or '-', starting and ending with a letter or digit")
	}
}

func (v *validator) spec(s *Spec) {
	if s.CommonName == "" && len(s.DNSNames) == 0 && len(s.IPAddresses) == 0 &&
		len(s.URIs) == 0 && len(s.EmailAddresses) == 0 {
		v.add("spec", "", "at least one of commonName, dnsNames, ipAddresses, uris or emailAddresses is required")
	}
	if len(s.CommonName) > MaxCommonNameLength {
		v.add("spec.commonName", s.CommonName, fmt.Sprintf("is %d bytes long; X.509 allows at most %d", len(s.CommonName), MaxCommonNameLength))
	}
	for i, n := range s.DNSNames {
		if p := dnsNameProblem(n); p != "" {
			v.add(index("spec.dnsNames", i), n, p)
		}
	}
	for i, ip := range s.IPAddresses {
		if _, err := netip.ParseAddr(ip); err != nil || strings.Contains(ip, "%") {
			v.add(index("spec.ipAddresses", i), ip, "is not an IPv4 or IPv6 address (zones are not allowed)")
		}
	}
	for i, u := range s.URIs {
		if p := uriProblem(u); p != "" {
			v.add(index("spec.uris", i), u, p)
		}
	}
	for i, e := range s.EmailAddresses {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e || a.Name != "" {
			v.add(index("spec.emailAddresses", i), e, "is not a bare email address like user@example.com")
		}
	}
	switch {
	case s.SecretName == "":
		v.add("spec.secretName", "", "is required")
	case !isSubdomain(s.SecretName):
		v.add("spec.secretName", s.SecretName, subdomainProblem)
	}
	v.issuerRef("spec.issuerRef", s.IssuerRef)
	v.fallbackIssuerRefs(s)
	v.lifetime(s)
	v.privateKey(s.PrivateKey)
	for i, u := range s.Usages {
		if !knownUsage(u) {
			v.add(index("spec.usages", i), string(u), "is not a key usage cert-manager knows (e.g. \"digital signature\", \"server auth\")")
		}
	}
	if s.RevisionHistoryLimit != nil && *s.RevisionHistoryLimit < 1 {
		v.add("spec.revisionHistoryLimit", strconv.Itoa(int(*s.RevisionHistoryLimit)), "must be at least 1 (omit it to keep 1)")
	}
	if t := s.SecretTemplate; t != nil {
		v.secretTemplate(t)
	}
}

// secretTemplate applies cert-manager's rules: no cert-manager.io/
// annotations (they are the ones certflow writes; allow-direct-injection
// excepted), and Kubernetes' label and annotation syntax and size limits.
func (v *validator) secretTemplate(t *SecretTemplate) {
	const ann, lbl = "spec.secretTemplate.annotations", "spec.secretTemplate.labels"
	total := 0
	for _, k := range slices.Sorted(maps.Keys(t.Annotations)) {
		total += len(k) + len(t.Annotations[k])
		if strings.HasPrefix(k, "cert-manager.io/") && k != AnnotationAllowDirectInjection {
			v.add(ann, k, "cert-manager.io/* annotations are not allowed")
		}
		if p := qualifiedNameProblem(strings.ToLower(k)); p != "" {
			v.add(ann, k, p)
		}
	}
	if total > MaxSecretTemplateAnnotationsSize {
		v.add(ann, "", fmt.Sprintf("may not be more than %d bytes in total, got %d", MaxSecretTemplateAnnotationsSize, total))
	}
	for _, k := range slices.Sorted(maps.Keys(t.Labels)) {
		if p := qualifiedNameProblem(k); p != "" {
			v.add(lbl, k, p)
		}
		if val := t.Labels[k]; val != "" && !isLabelValue(val) {
			v.add(lbl, val, "a label value must be at most 63 characters: alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric")
		}
	}
}

// qualifiedNameProblem checks a Kubernetes label or annotation key:
// an optional DNS-1123 subdomain prefix and "/", then a name of at most 63
// alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric.
func qualifiedNameProblem(k string) string {
	name := k
	if i := strings.LastIndexByte(k, '/'); i >= 0 {
		prefix := k[:i]
		name = k[i+1:]
		if !isSubdomain(prefix) {
			return "the prefix of a key must be a DNS-1123 subdomain"
		}
	}
	if name == "" || !isLabelValue(name) {
		return "a key's name part must be at most 63 characters: alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"
	}
	return ""
}

// isLabelValue reports whether s is a non-empty Kubernetes label value.
func isLabelValue(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	alnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !alnum(c) && ((c != '-' && c != '_' && c != '.') || i == 0 || i == len(s)-1) {
			return false
		}
	}
	return true
}

func (v *validator) issuerRef(path string, r meta.IssuerRef) {
	switch {
	case r.Name == "":
		v.add(path+".name", "", "is required")
	case !isSubdomain(r.Name):
		v.add(path+".name", r.Name, subdomainProblem)
	}
	if r.Group != "" && r.Group != "cert-manager.io" {
		// cert-manager accepts any kind of an external group; certflow
		// serves no external issuers.
		v.add(path+".group", r.Group, "must be cert-manager.io or empty: external issuers are not served")
		return
	}
	switch r.Kind {
	case "", meta.KindIssuer, meta.KindClusterIssuer:
	default:
		v.add(path+".kind", string(r.Kind), "must be Issuer or ClusterIssuer (empty means Issuer)")
	}
}

// MaxFallbackIssuers bounds spec.fallbackIssuerRefs: each one tried costs
// an order at its CA, and a long chain would only delay the failure.
const MaxFallbackIssuers = 8

// fallbackIssuerRefs checks each fallback as spec.issuerRef is checked,
// and that no issuer is named twice in the list (a second try of the same
// issuer in one issuance would fail as the first did).
func (v *validator) fallbackIssuerRefs(s *Spec) {
	if len(s.FallbackIssuerRefs) > MaxFallbackIssuers {
		v.add("spec.fallbackIssuerRefs", strconv.Itoa(len(s.FallbackIssuerRefs)), fmt.Sprintf("may name at most %d issuers", MaxFallbackIssuers))
	}
	refs := s.IssuerRefs()
	for i, r := range s.FallbackIssuerRefs {
		path := index("spec.fallbackIssuerRefs", i)
		v.issuerRef(path, r)
		if j := issuerIndex(refs, r); j <= i {
			first := "spec.issuerRef"
			if j > 0 {
				first = index("spec.fallbackIssuerRefs", j-1)
			}
			v.add(path, r.Name, "names the same issuer as "+first)
		}
	}
}

func (v *validator) lifetime(s *Spec) {
	d := s.EffectiveDuration()
	if s.Duration != nil && d < MinDuration {
		v.add("spec.duration", s.Duration.String(), "must be at least "+MinDuration.String())
	}
	if s.RenewBefore != nil && s.RenewBeforePercentage != nil {
		v.add("spec.renewBefore", s.RenewBefore.String(), "must not be set together with renewBeforePercentage")
		v.add("spec.renewBeforePercentage", strconv.Itoa(int(*s.RenewBeforePercentage)), "must not be set together with renewBefore")
	}
	if s.RenewBefore != nil {
		rb := s.RenewBefore.Duration
		if rb >= d {
			v.add("spec.renewBefore", rb.String(), fmt.Sprintf("must be shorter than the duration (%s)", d))
		}
		if rb < MinRenewBefore {
			v.add("spec.renewBefore", rb.String(), "must be at least "+MinRenewBefore.String())
		}
	}
	if p := s.RenewBeforePercentage; p != nil {
		if *p <= 0 || *p >= 100 {
			v.add("spec.renewBeforePercentage", strconv.Itoa(int(*p)), "must be between 0 and 100, exclusive")
		} else if rb := d / 100 * time.Duration(*p); rb < MinRenewBefore {
			v.add("spec.renewBeforePercentage", strconv.Itoa(int(*p)), fmt.Sprintf("gives a renewBefore of %s; at least %s is required", rb, MinRenewBefore))
		}
	}
}

func (v *validator) privateKey(k *PrivateKey) {
	if k == nil {
		return
	}
	switch k.Algorithm {
	case "", RSA:
		if k.Size != 0 && (k.Size < MinRSASize || k.Size > MaxRSASize) {
			v.add("spec.privateKey.size", strconv.Itoa(k.Size), fmt.Sprintf("RSA keys must be between %d and %d bits", MinRSASize, MaxRSASize))
		}
	case ECDSA:
		switch k.Size {
		case 0, 256, 384, 521:
		default:
			v.add("spec.privateKey.size", strconv.Itoa(k.Size), "ECDSA keys must be 256, 384 or 521 bits")
		}
	case Ed25519:
		if k.Encoding == PKCS1 {
			v.add("spec.privateKey.encoding", string(k.Encoding), "Ed25519 keys can only be encoded as PKCS8")
		}
	default:
		v.add("spec.privateKey.algorithm", string(k.Algorithm), "must be RSA, ECDSA or Ed25519")
	}
	switch k.Encoding {
	case "", PKCS1, PKCS8:
	default:
		v.add("spec.privateKey.encoding", string(k.Encoding), "must be PKCS1 or PKCS8")
	}
	switch k.RotationPolicy {
	case "", RotationAlways, RotationNever:
	default:
		v.add("spec.privateKey.rotationPolicy", string(k.RotationPolicy), "must be Always or Never")
	}
}

func index(field string, i int) string { return field + "[" + strconv.Itoa(i) + "]" }

func knownUsage(u KeyUsage) bool {
	switch u {
	case UsageSigning, UsageDigitalSignature, UsageContentCommitment, UsageKeyEncipherment,
		UsageKeyAgreement, UsageDataEncipherment, UsageCertSign, UsageCRLSign, UsageEncipherOnly,
		UsageDecipherOnly, UsageAny, UsageServerAuth, UsageClientAuth, UsageCodeSigning,
		UsageEmailProtection, UsageSMIME, UsageIPsecEndSystem, UsageIPsecTunnel, UsageIPsecUser,
		UsageTimestamping, UsageOCSPSigning, UsageMicrosoftSGC, UsageNetscapeSGC:
		return true
	}
	return false
}

func uriProblem(s string) string {
	u, err := url.Parse(s)
	switch {
	case s == "":
		return "must not be empty"
	case err != nil:
		return "does not parse as a URI"
	case !u.IsAbs():
		return "must be an absolute URI with a scheme, like spiffe://example.org/workload"
	}
	return ""
}

// dnsNameProblem returns why s cannot be a DNS SAN, or "". A wildcard is
// allowed only as the whole leftmost label of a name with at least one more
// label, as RFC 6125 and the CA/Browser Forum require.
func dnsNameProblem(s string) string {
	switch {
	case s == "":
		return "must not be empty"
	case len(s) > 253:
		return fmt.Sprintf("is %d characters long; at most 253 are allowed", len(s))
	case s == "*":
		return "a lone wildcard is not a name; write *.example.com"
	case strings.HasSuffix(s, "."):
		return "must not end with a dot"
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return "is an IP address; put it in ipAddresses"
	}
	first := true // SplitSeq: every visit validates its names
	for l := range strings.SplitSeq(s, ".") {
		leftmost := first
		first = false
		if strings.Contains(l, "*") {
			if !leftmost || l != "*" {
				return "wildcard must be the whole leftmost label only"
			}
			continue
		}
		if p := labelProblem(l); p != "" {
			return p
		}
	}
	return ""
}

func labelProblem(l string) string {
	switch {
	case l == "":
		return "has an empty label"
	case len(l) > 63:
		return fmt.Sprintf("has a label of %d characters; at most 63 are allowed", len(l))
	case l[0] == '-' || l[len(l)-1] == '-':
		return "has a label that starts or ends with '-'"
	}
	for _, r := range l {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-':
		case r > 127:
			return "has a non-ASCII character; write internationalized names in their xn-- (punycode) form"
		default:
			return fmt.Sprintf("has the invalid character %q; only letters, digits and '-' are allowed", r)
		}
	}
	return ""
}

const subdomainProblem = "must be a DNS-1123 subdomain: at most 253 lower-case letters, digits, '-' or '.', each part starting and ending with a letter or digit"

// isSubdomain reports whether s is a Kubernetes object name (DNS-1123
// subdomain); the Store uses names as keys and file names, so nothing else passes.
func isSubdomain(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for l := range strings.SplitSeq(s, ".") {
		if !isAlnumDash(l) {
			return false
		}
	}
	return true
}

// isLabel reports whether s is a DNS-1123 label.
func isLabel(s string) bool { return len(s) <= 63 && isAlnumDash(s) }

// isAlnumDash reports whether s is non-empty lower-case letters, digits and
// '-', starting and ending with a letter or digit.
func isAlnumDash(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (c != '-' || i == 0 || i == len(s)-1) {
			return false
		}
	}
	return true
}
