package solver

import (
	"net"
	"strings"

	"github.com/certflow/certflow/internal/dnsname"
)

// Select picks the solver for one identifier among an issuer's solvers with
// cert-manager's precedence, and reports whether any solver fits. identifier
// is the DNS name without "*." (wildcard says whether it had one) or an IP
// address; labels are the certificate's labels.
//
// The rules, in order:
//   - a solver whose type cannot validate the identifier is skipped: wildcard
//     names only DNS-01, IP addresses only HTTP-01 and TLS-ALPN-01;
//   - a solver with a selector is considered only if every matchLabels entry
//     matches and, when it lists dnsNames or dnsZones, each non-empty list
//     matches the identifier ("*.name" for a wildcard);
//   - a solver listing the exact dnsName beats one matching by dnsZone, which
//     beats one matching only by labels; among dnsZone matches the longest
//     zone wins; then the one matching more labels; ties go to the earlier
//     solver;
//   - a solver without selector is the fallback, used only when no other
//     solver matches (the first of several; an empty selector behaves alike).
func Select(solvers []Config, identifier string, wildcard bool, labels map[string]string) (index int, ok bool) {
	return SelectOffered(solvers, identifier, wildcard, labels, nil)
}

// SelectOffered is Select restricted to solvers whose type is among offered,
// the challenge types the CA's authorization offers. A nil offered allows
// every type.
func SelectOffered(solvers []Config, identifier string, wildcard bool, labels map[string]string, offered []Type) (index int, ok bool) {
	isIP := !wildcard && net.ParseIP(identifier) != nil
	name := dnsname.Fold(strings.TrimSpace(identifier))
	if wildcard {
		name = "*." + name
	}
	best, bestScore := -1, score{}
	for i, cfg := range solvers {
		if !typeUsable(cfg.Type(), wildcard, isIP, offered) {
			continue
		}
		if cfg.Selector == nil {
			if best < 0 {
				best = i
			}
			continue
		}
		s, matches := match(*cfg.Selector, name, labels)
		if !matches {
			continue
		}
		if best < 0 || s.beats(bestScore) {
			best, bestScore = i, s
		}
	}
	return best, best >= 0
}

// typeUsable reports whether a solver of type t can validate the identifier.
func typeUsable(t Type, wildcard, isIP bool, offered []Type) bool {
	switch t {
	case DNS01:
		if isIP {
			return false
		}
	case HTTP01, TLSALPN01:
		if wildcard {
			return false
		}
	default:
		return false
	}
	if offered == nil {
		return true
	}
	for _, o := range offered {
		if o == t {
			return true
		}
	}
	return false
}

// score is how specifically a selector matched: dnsName match (0/1), number
// of labels of the longest matching zone, number of matching labels.
type score struct {
	names, zone, labels int
}

// beats reports whether s is strictly more specific than o; equal scores
// keep the earlier solver.
func (s score) beats(o score) bool {
	if s.names != o.names {
		return s.names > o.names
	}
	if s.zone != o.zone {
		return s.zone > o.zone
	}
	return s.labels > o.labels
}

// match applies one selector; name is normalized and carries "*." for wildcards.
func match(sel Selector, name string, labels map[string]string) (score, bool) {
	var s score
	for k, v := range sel.MatchLabels {
		if got, ok := labels[k]; !ok || got != v {
			return score{}, false
		}
		s.labels++
	}
	if len(sel.DNSNames) > 0 {
		for _, n := range sel.DNSNames {
			if dnsname.Fold(strings.TrimSpace(n)) == name {
				s.names = 1
				break
			}
		}
		if s.names == 0 {
			return score{}, false
		}
	}
	if len(sel.DNSZones) > 0 {
		for _, z := range sel.DNSZones {
			if n := zoneLabels(dnsname.Fold(strings.TrimSpace(z)), name); n > s.zone {
				s.zone = n
			}
		}
		if s.zone == 0 {
			return score{}, false
		}
	}
	return s, true
}

// zoneLabels returns the number of labels of zone if name is zone or below
// it, else 0 (the root zone never matches, as in cert-manager).
func zoneLabels(zone, name string) int {
	if zone == "" {
		return 0
	}
	if name != zone && !strings.HasSuffix(name, "."+zone) {
		return 0
	}
	return strings.Count(zone, ".") + 1
}
