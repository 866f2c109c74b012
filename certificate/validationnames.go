package certificate

import (
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/certflow/certflow/internal/dnsname"
)

// AnnotationValidationNames on a Certificate lists, comma-separated, the
// names an HTTP-01 or TLS-ALPN-01 validation of its issuance may arrive
// for: its DNS names (canonical, lower case, wildcards left out: they are
// validated by DNS-01 only) and its IP addresses. Default sets it, so a
// Manager following the Store learns them from the metadata its watch
// delivers, without reading the Certificate (a replica answering a
// validation its watch has not delivered reads the Store only for them).
const AnnotationValidationNames = "certflow.io/validation-names"

// SplitValidationNames returns the names an AnnotationValidationNames
// value lists.
func SplitValidationNames(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// validationNames is the value of AnnotationValidationNames for c.
func validationNames(c *Certificate) string {
	var names []string
	for _, n := range c.Spec.DNSNames {
		if strings.HasPrefix(n, "*.") {
			continue
		}
		if canon, err := dnsname.Canonical(n); err == nil {
			names = append(names, canon)
		}
	}
	for _, ip := range c.Spec.IPAddresses {
		if a, err := netip.ParseAddr(ip); err == nil {
			names = append(names, a.Unmap().String())
		}
	}
	slices.Sort(names)
	return strings.Join(slices.Compact(names), ",")
}

// withValidationNames returns a copy of c's annotations holding its
// AnnotationValidationNames.
func withValidationNames(c *Certificate) map[string]string {
	annotations := maps.Clone(c.ObjectMeta.Annotations)
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[AnnotationValidationNames] = validationNames(c)
	return annotations
}
