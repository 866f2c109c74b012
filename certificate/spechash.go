package certificate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// SpecHash hashes the parts of a spec that the issued certificate depends
// on. A change of any of them means the Secret no longer matches; settings
// such as renewBefore or revisionHistoryLimit do not count. Lists are
// compared as sets and DNS names without case, so reordering or re-casing
// dnsNames does not change the hash (as cert-manager's RequestMatchesSpec
// compares them unordered).
//
// The key's PEM encoding is left out: changing it rewrites the Secret, not
// the certificate. The hash carries a version prefix; a hash written by an
// older certflow (none) is ignored rather than read as a change.
func SpecHash(s *Spec) string {
	k := s.KeyConfig()
	var subj *Subject
	if s.Subject != nil {
		n := Subject{
			Organizations:       normalized(s.Subject.Organizations, nil),
			Countries:           normalized(s.Subject.Countries, nil),
			OrganizationalUnits: normalized(s.Subject.OrganizationalUnits, nil),
			Localities:          normalized(s.Subject.Localities, nil),
			Provinces:           normalized(s.Subject.Provinces, nil),
			StreetAddresses:     normalized(s.Subject.StreetAddresses, nil),
			PostalCodes:         normalized(s.Subject.PostalCodes, nil),
			SerialNumber:        s.Subject.SerialNumber,
		}
		if !n.empty() {
			subj = &n
		}
	}
	b, _ := json.Marshal(struct {
		CN        string
		DNS, IP   []string
		URI, Mail []string
		Subject   *Subject
		Duration  string
		Alg       KeyAlgorithm
		Size      int
		Usages    []string
		IsCA      bool
	}{dnsKey(s.CommonName), normalized(s.DNSNames, dnsKey), normalized(s.IPAddresses, canonicalIP),
		normalized(s.URIs, nil), normalized(s.EmailAddresses, nil), subj,
		s.EffectiveDuration().String(), k.Algorithm, k.Size, normalized(usageStrings(s.Usages), nil), s.IsCA})
	sum := sha256.Sum256(b)
	return specHashVersion + hex.EncodeToString(sum[:8])
}

func (s Subject) empty() bool {
	return len(s.Organizations)+len(s.Countries)+len(s.OrganizationalUnits)+len(s.Localities)+
		len(s.Provinces)+len(s.StreetAddresses)+len(s.PostalCodes) == 0 && s.SerialNumber == ""
}

// specHashVersion prefixes SpecHash's current format.
const specHashVersion = "v2-"
