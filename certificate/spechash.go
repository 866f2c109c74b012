package certificate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// SpecHash hashes the parts of a spec that the issued certificate depends
// on. A change of any of them means the Secret no longer matches; settings
// such as renewBefore or revisionHistoryLimit do not count.
func SpecHash(s *Spec) string {
	k := s.KeyConfig()
	b, _ := json.Marshal(struct {
		CN        string
		DNS, IP   []string
		URI, Mail []string
		Subject   *Subject
		Duration  string
		Alg       KeyAlgorithm
		Size      int
		Encoding  KeyEncoding
		Usages    []KeyUsage
		IsCA      bool
	}{s.CommonName, s.DNSNames, s.IPAddresses, s.URIs, s.EmailAddresses, s.Subject,
		s.EffectiveDuration().String(), k.Algorithm, k.Size, k.Encoding, s.Usages, s.IsCA})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}
