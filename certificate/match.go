package certificate

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"net"
	"slices"

	"github.com/certflow/certflow/internal/dnsname"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
)

// The comparisons below follow cert-manager's pkg/util/pki/match.go
// (v1.21.1): PrivateKeyMatchesSpec, RequestMatchesSpec and
// FuzzyX509AltNamesMatchSpec. Each returns the spec fields that do not match,
// named as cert-manager names them ("spec.dnsNames"), or nil.
//
// Deliberate deviation: DNS names (and a DNS-name commonName) are compared
// case-insensitively and without a trailing dot, because DNS is
// case-insensitive; cert-manager compares them byte for byte.

// privateKeyMatchesSpec reports how key differs from spec.privateKey.
func privateKeyMatchesSpec(key crypto.PrivateKey, spec *Spec) []string {
	k := spec.KeyConfig()
	switch k.Algorithm {
	case RSA:
		rk, ok := key.(*rsa.PrivateKey)
		if !ok {
			return []string{"spec.privateKey.algorithm"}
		}
		if rk.N.BitLen() != k.Size {
			return []string{"spec.privateKey.size"}
		}
	case ECDSA:
		ek, ok := key.(*ecdsa.PrivateKey)
		if !ok {
			return []string{"spec.privateKey.algorithm"}
		}
		if ek.Curve.Params().BitSize != k.Size {
			return []string{"spec.privateKey.size"}
		}
	case Ed25519:
		if _, ok := key.(ed25519.PrivateKey); !ok {
			return []string{"spec.privateKey.algorithm"}
		}
	default:
		// Validate rejects unknown algorithms; cert-manager panics here.
		return []string{"spec.privateKey.algorithm"}
	}
	return nil
}

// requestMatchesSpec reports how the CertificateRequest req (its CSR and
// spec) differs from the Certificate spec: what was asked of the CA, not
// what the CA chose to put in the leaf. An unreadable CSR is an error.
func requestMatchesSpec(req *request.CertificateRequest, spec *Spec, p *parsers) ([]string, error) {
	csr, err := p.csr(req)
	if err != nil {
		return nil, err
	}
	subj := Subject{}
	if spec.Subject != nil {
		subj = *spec.Subject
	}
	var v []string
	add := func(ok bool, field string) {
		if !ok {
			v = append(v, field)
		}
	}
	add(sameSet(ipStrings(csr.IPAddresses), spec.IPAddresses, canonicalIP), "spec.ipAddresses")
	add(sameSet(uriStrings(csr.URIs), spec.URIs, nil), "spec.uris")
	add(sameSet(csr.EmailAddresses, spec.EmailAddresses, nil), "spec.emailAddresses")
	add(sameSet(csr.DNSNames, spec.DNSNames, dnsKey), "spec.dnsNames")
	add(dnsKey(csr.Subject.CommonName) == dnsKey(spec.CommonName), "spec.commonName")
	add(csr.Subject.SerialNumber == subj.SerialNumber, "spec.subject.serialNumber")
	add(sameSet(csr.Subject.Organization, subj.Organizations, nil), "spec.subject.organizations")
	add(sameSet(csr.Subject.Country, subj.Countries, nil), "spec.subject.countries")
	add(sameSet(csr.Subject.Locality, subj.Localities, nil), "spec.subject.localities")
	add(sameSet(csr.Subject.OrganizationalUnit, subj.OrganizationalUnits, nil), "spec.subject.organizationalUnits")
	add(sameSet(csr.Subject.PostalCode, subj.PostalCodes, nil), "spec.subject.postCodes")
	add(sameSet(csr.Subject.Province, subj.Provinces, nil), "spec.subject.provinces")
	add(sameSet(csr.Subject.StreetAddress, subj.StreetAddresses, nil), "spec.subject.streetAddresses")
	add(req.Spec.IsCA == spec.IsCA, "spec.isCA")
	add(sameSet(req.Spec.Usages, usageStrings(spec.Usages), nil), "spec.usages")
	add(req.Spec.Duration == nil || spec.Duration == nil || req.Spec.Duration.Duration == spec.Duration.Duration, "spec.duration")
	// Any issuer of the list: a request for a fallback issuer was made for
	// this spec too.
	add(issuerIndex(spec.IssuerRefs(), req.Spec.IssuerRef) >= 0, "spec.issuerRef")
	return v, nil
}

// fuzzyAltNamesMatchSpec compares an issued leaf with the spec loosely, as
// cert-manager does when the request that produced it is unknown: names may
// move between the commonName and the DNS SANs (a CA may drop the commonName
// or promote a SAN to it), but the set of names must be the same.
func fuzzyAltNamesMatchSpec(leaf *x509.Certificate, spec *Spec) []string {
	var v []string
	expected := setOf(spec.DNSNames, dnsKey)
	if spec.CommonName != "" {
		expected[dnsKey(spec.CommonName)] = true
	}
	all := setOf(leaf.DNSNames, dnsKey)
	if leaf.Subject.CommonName != "" {
		all[dnsKey(leaf.Subject.CommonName)] = true
	}
	if !equalSets(all, expected) {
		if (spec.CommonName != "" && !all[dnsKey(spec.CommonName)]) ||
			(leaf.Subject.CommonName != "" && !expected[dnsKey(leaf.Subject.CommonName)]) {
			v = append(v, "spec.commonName")
		}
		if !hasAll(all, spec.DNSNames) || !hasAll(expected, leaf.DNSNames) {
			v = append(v, "spec.dnsNames")
		}
	}
	if !sameSet(ipStrings(leaf.IPAddresses), spec.IPAddresses, canonicalIP) {
		v = append(v, "spec.ipAddresses")
	}
	if !sameSet(uriStrings(leaf.URIs), spec.URIs, nil) {
		v = append(v, "spec.uris")
	}
	if !sameSet(leaf.EmailAddresses, spec.EmailAddresses, nil) {
		v = append(v, "spec.emailAddresses")
	}
	return v
}

// issuerRefsEqual compares issuer references with cert-manager's defaults:
// an empty kind is Issuer and an empty group is cert-manager.io.
func issuerRefsEqual(a, b meta.IssuerRef) bool {
	return a.Name == b.Name && issuerKind(string(a.Kind)) == issuerKind(string(b.Kind)) &&
		issuerGroup(a.Group) == issuerGroup(b.Group)
}

func issuerKind(k string) string {
	if k == "" {
		return string(meta.KindIssuer)
	}
	return k
}

func issuerGroup(g string) string {
	if g == "" {
		return "cert-manager.io"
	}
	return g
}

// dnsKey is the comparison form of a name: dnsname's canonical form for a
// DNS name (lower case, A-labels), else the name lower-cased, without a
// trailing dot (a commonName need not be a DNS name).
func dnsKey(s string) string {
	if s == "" {
		// No commonName, the usual case: not an invalid DNS name whose
		// error is formatted on every SpecHash.
		return ""
	}
	if n, err := dnsname.Canonical(s); err == nil {
		return n
	}
	return dnsname.Fold(s)
}

func setOf(in []string, f func(string) string) map[string]bool {
	out := make(map[string]bool, len(in))
	for _, s := range in {
		if f != nil {
			s = f(s)
		}
		out[s] = true
	}
	return out
}

func equalSets(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func hasAll(set map[string]bool, names []string) bool {
	for _, n := range names {
		if !set[dnsKey(n)] {
			return false
		}
	}
	return true
}

// sameSet compares a and b as sets after f (nil: as is).
func sameSet(a, b []string, f func(string) string) bool {
	// Sorted on the stack: a request's and a leaf's sets are compared
	// on every visit of a Certificate, and they hold a few names.
	var sa, sb [smallSet]string
	return slices.Equal(normalizedInto(sa[:0], a, f), normalizedInto(sb[:0], b, f))
}

// smallSet is how many names sameSet compares without allocating.
const smallSet = 8

func normalized(in []string, f func(string) string) []string {
	return normalizedInto(make([]string, 0, len(in)), in, f)
}

// normalizedInto is normalized, appending to out.
func normalizedInto(out, in []string, f func(string) string) []string {
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

func uriStrings[T interface{ String() string }](us []T) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.String()
	}
	return out
}

func usageStrings(us []KeyUsage) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = string(u)
	}
	return out
}
