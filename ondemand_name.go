package certflow

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"

	"github.com/certflow/certflow/internal/dnsname"
)

// onDemandName checks a handshake's server name before anything is asked
// or remembered about it, and returns it folded (lower case, no trailing
// dot). Only what a CA issues for passes: at least two labels of ASCII
// letters, digits and inner '-', no label over 63 octets, at most 253
// octets, a top-level label that is not all digits, and not an IP address
// (of any spelling netip accepts). Unicode is refused rather than mapped,
// as server names travel as A-labels (RFC 6066 §3).
func onDemandName(serverName string) (string, error) {
	name := dnsname.Fold(serverName)
	if len(name) == 0 || len(name) > dnsname.MaxNameLen {
		return "", fmt.Errorf("%w: %d octets", ErrOnDemandInvalidName, len(name))
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return "", fmt.Errorf("%w: %q is an IP address", ErrOnDemandInvalidName, name)
	}
	labels := 0
	for label := range strings.SplitSeq(name, ".") {
		labels++
		if !isLDHLabel(label) {
			return "", fmt.Errorf("%w: %q", ErrOnDemandInvalidName, name)
		}
	}
	if labels < 2 || isDigits(name[strings.LastIndexByte(name, '.')+1:]) {
		return "", fmt.Errorf("%w: %q has no registrable parent", ErrOnDemandInvalidName, name)
	}
	return name, nil
}

// isLDHLabel reports whether l is 1–63 lower-case letters, digits and '-',
// not starting or ending with '-'.
func isLDHLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// onDemandObjectName derives the Certificate's name from a name
// onDemandName accepted: "ondemand.<name>", which is a valid object name
// because the server name is; or, when that and its Secret's "-tls" would
// not fit 253 octets, "ondemand-" and a hash of the name. The two forms
// cannot meet: their ninth character differs ('.' or '-').
func onDemandObjectName(name string) string {
	const prefix, secretSuffix = "ondemand.", "-tls"
	if len(prefix)+len(name)+len(secretSuffix) <= dnsname.MaxNameLen {
		return prefix + name
	}
	sum := sha256.Sum256([]byte(name))
	return "ondemand-" + hex.EncodeToString(sum[:20])
}

// onDemandSecretName is the Secret of the on-demand Certificate objName.
func onDemandSecretName(objName string) string { return objName + "-tls" }
