package solver

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// Problem is one invalid field of a solver configuration. Field is relative
// to the DNS01Config ("rfc2136.nameserver", "route53"); "" means the config
// as a whole.
type Problem struct {
	Field string
	Msg   string
}

// ValidateDNS01 checks a DNS-01 solver configuration the way cert-manager's
// webhook does (internal/apis/certmanager/validation/issuer.go,
// ValidateACMEChallengeSolverDNS01, v1.21.1), plus the credential pairing
// cert-manager's Route 53 provider only finds at its first Present. It
// reads no Secrets.
func ValidateDNS01(c DNS01Config) []Problem {
	var ps []Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, Problem{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	switch c.CNAMEStrategy {
	case "", "None", "Follow":
	default:
		add("cnameStrategy", "must be None or Follow, got %q", c.CNAMEStrategy)
	}
	n := 0
	for _, set := range []bool{c.RFC2136 != nil, c.Route53 != nil, c.Webhook != nil} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		add("", "no DNS01 provider configured: set one of rfc2136, route53 and webhook")
	case n > 1:
		add("", "may not specify more than one provider type, found %d", n)
	}
	if r := c.RFC2136; r != nil {
		ps = append(ps, validateRFC2136(*r)...)
	}
	if r := c.Route53; r != nil {
		ps = append(ps, validateRoute53(*r)...)
	}
	if w := c.Webhook; w != nil && w.SolverName == "" {
		add("webhook.solverName", "solver name must be specified")
	}
	return ps
}

func validateRFC2136(r RFC2136Config) []Problem {
	var ps []Problem
	add := func(field, msg string) { ps = append(ps, Problem{Field: "rfc2136." + field, Msg: msg}) }
	if r.Nameserver == "" {
		add("nameserver", "required")
	} else if _, err := ValidNameserver(r.Nameserver); err != nil {
		add("nameserver", fmt.Sprintf("%q: nameserver must be set in the form host:port where host is an IPv4 address, an enclosed IPv6 address or a hostname and port is an optional port number", r.Nameserver))
	}
	if r.TSIGAlgorithm != "" {
		if _, err := CanonicalTSIGAlgorithm(r.TSIGAlgorithm); err != nil {
			add("tsigAlgorithm", err.Error())
		}
	}
	// As cert-manager: a key name needs a complete secret reference; a
	// complete secret reference needs a key name.
	if r.TSIGKeyName != "" {
		for _, p := range validateSecretKeySelector(r.TSIGSecretSecretRef) {
			add("tsigSecretSecretRef."+p.Field, p.Msg)
		}
	}
	if len(validateSecretKeySelector(r.TSIGSecretSecretRef)) == 0 && r.TSIGKeyName == "" {
		add("tsigKeyName", "required when tsigSecretSecretRef is set")
	}
	switch strings.ToLower(r.Protocol) {
	case "", "udp", "tcp":
	default:
		add("protocol", fmt.Sprintf("must be udp or tcp, got %q", r.Protocol))
	}
	return ps
}

// validateRoute53 checks the credential combinations: cert-manager's webhook
// refuses accessKeyID together with accessKeyIDSecretRef and an incomplete
// accessKeyIDSecretRef; its provider refuses an access key ID without a
// secret access key and the reverse ("only one of access and secret key was
// provided"), which certflow reports here, before any Present.
func validateRoute53(r Route53Config) []Problem {
	var ps []Problem
	add := func(field, msg string) { ps = append(ps, Problem{Field: "route53" + field, Msg: msg}) }
	if r.AccessKeyID != "" && r.AccessKeyIDSecretRef != nil {
		add("", "accessKeyID and accessKeyIDSecretRef cannot both be specified")
	}
	if r.AccessKeyIDSecretRef != nil {
		for _, p := range validateSecretKeySelector(*r.AccessKeyIDSecretRef) {
			add(".accessKeyIDSecretRef."+p.Field, p.Msg)
		}
	}
	if r.SecretAccessKeySecretRef != nil {
		for _, p := range validateSecretKeySelector(*r.SecretAccessKeySecretRef) {
			add(".secretAccessKeySecretRef."+p.Field, p.Msg)
		}
	}
	hasKeyID := r.AccessKeyID != "" || r.AccessKeyIDSecretRef != nil
	switch {
	case hasKeyID && r.SecretAccessKeySecretRef == nil:
		add(".secretAccessKeySecretRef", "required with accessKeyID or accessKeyIDSecretRef (only one of access and secret key was provided)")
	case !hasKeyID && r.SecretAccessKeySecretRef != nil:
		add(".accessKeyID", "accessKeyID or accessKeyIDSecretRef is required with secretAccessKeySecretRef (only one of access and secret key was provided)")
	}
	return ps
}

// validateSecretKeySelector is cert-manager's ValidateSecretKeySelector:
// both name and key are required.
func validateSecretKeySelector(s SecretKeySelector) []Problem {
	var ps []Problem
	if s.Name == "" {
		ps = append(ps, Problem{Field: "name", Msg: "secret name is required"})
	}
	if s.Key == "" {
		ps = append(ps, Problem{Field: "key", Msg: "secret key is required"})
	}
	return ps
}

// ErrNameserver is wrapped by ValidNameserver's errors.
var ErrNameserver = errors.New("solver: invalid RFC 2136 nameserver")

// ValidNameserver checks an RFC 2136 nameserver as cert-manager does
// (internal/apis/certmanager/validation/util/nameserver.go, v1.21.1) and
// returns it as host:port: host is an IPv4 address, an IPv6 address in
// brackets or a host name; the port is optional (53).
func ValidNameserver(ns string) (string, error) {
	ns = strings.TrimSpace(ns)
	if ns == "" {
		return "", fmt.Errorf("%w: empty", ErrNameserver)
	}
	host, port, err := net.SplitHostPort(ns)
	if err != nil {
		if !strings.Contains(err.Error(), "missing port") {
			return "", fmt.Errorf("%w: %q: %v", ErrNameserver, ns, err)
		}
		host = strings.Trim(ns, "[]")
	}
	if host == "" {
		return "", fmt.Errorf("%w: %q has no host", ErrNameserver, ns)
	}
	if port == "" {
		port = "53"
	}
	// Stricter than cert-manager, as its own message describes the form:
	// the host is an IP address or a host name ("[00]0" or "[ 0]" pass
	// cert-manager's check but cannot be dialled).
	if !validHost(host) {
		return "", fmt.Errorf("%w: %q: the host is neither an IP address nor a host name", ErrNameserver, ns)
	}
	return net.JoinHostPort(host, port), nil
}

func validHost(h string) bool {
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// ErrTSIGAlgorithm is wrapped by CanonicalTSIGAlgorithm's errors.
var ErrTSIGAlgorithm = errors.New("solver: unsupported TSIG algorithm")

// CanonicalTSIGAlgorithm returns the TSIG algorithm name as cert-manager
// spells it (HMACSHA1, HMACSHA256, HMACSHA512), matching case-insensitively
// as cert-manager's webhook does. An empty name means HMACSHA256.
// cert-manager also accepts HMACMD5; certflow refuses it on purpose (MD5 is
// broken).
func CanonicalTSIGAlgorithm(name string) (string, error) {
	switch u := strings.ToUpper(strings.TrimSpace(name)); u {
	case "":
		return "HMACSHA256", nil
	case "HMACSHA1", "HMACSHA256", "HMACSHA512":
		return u, nil
	case "HMACMD5":
		return "", fmt.Errorf("%w: %s is refused (MD5 is broken); use HMACSHA256", ErrTSIGAlgorithm, name)
	}
	return "", fmt.Errorf("%w: %q (supported: HMACSHA1, HMACSHA256, HMACSHA512)", ErrTSIGAlgorithm, name)
}
