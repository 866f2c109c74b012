package certificate

import "time"

// Defaults cert-manager v1.18 applies when a Certificate leaves a field empty.
const (
	// DefaultDuration is the lifetime requested when spec.duration is nil.
	DefaultDuration = 90 * 24 * time.Hour
	// DefaultRSASize is the RSA modulus used when privateKey.size is 0.
	DefaultRSASize = 2048
	// DefaultECDSASize is the ECDSA curve size used when privateKey.size is 0.
	DefaultECDSASize = 256
	// DefaultRevisionHistoryLimit is how many CertificateRequests are kept
	// when spec.revisionHistoryLimit is nil.
	DefaultRevisionHistoryLimit = 1
)

// EffectiveDuration returns the requested lifetime: spec.duration, or
// DefaultDuration when it is nil.
func (s *Spec) EffectiveDuration() time.Duration {
	if s.Duration == nil {
		return DefaultDuration
	}
	return s.Duration.Duration
}

// KeyConfig returns spec.privateKey with every empty field filled with its
// default: algorithm RSA, size 2048 for RSA and 256 for ECDSA (0 for
// Ed25519, which has no size), encoding PKCS1 (PKCS8 for Ed25519, which
// PKCS1 cannot hold) and rotation policy Always. The spec is not modified.
func (s *Spec) KeyConfig() PrivateKey {
	var k PrivateKey
	if s.PrivateKey != nil {
		k = *s.PrivateKey
	}
	if k.Algorithm == "" {
		k.Algorithm = RSA
	}
	switch k.Algorithm {
	case RSA:
		if k.Size == 0 {
			k.Size = DefaultRSASize
		}
	case ECDSA:
		if k.Size == 0 {
			k.Size = DefaultECDSASize
		}
	case Ed25519:
		k.Size = 0
		if k.Encoding == "" {
			k.Encoding = PKCS8
		}
	}
	if k.Encoding == "" {
		k.Encoding = PKCS1
	}
	if k.RotationPolicy == "" {
		k.RotationPolicy = RotationAlways
	}
	return k
}

// HistoryLimit returns how many CertificateRequests to keep:
// spec.revisionHistoryLimit, or DefaultRevisionHistoryLimit when it is nil.
// A value below 1 (which Validate rejects) is read as 1.
func (s *Spec) HistoryLimit() int {
	if s.RevisionHistoryLimit == nil || *s.RevisionHistoryLimit < 1 {
		return DefaultRevisionHistoryLimit
	}
	return int(*s.RevisionHistoryLimit)
}
