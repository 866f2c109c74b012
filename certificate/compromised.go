package certificate

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
)

// AnnotationCompromisedKey on a Certificate holds the SHA-256 of the
// SubjectPublicKeyInfo of a private key revoked for keyCompromise. With
// rotationPolicy Never the next issuance would otherwise reuse that key,
// and a CA refuses a key it knows is compromised (Let's Encrypt does).
const AnnotationCompromisedKey = "certflow.io/compromised-key-sha256"

// MarkKeyCompromised records pub as compromised on cert, so no later
// issuance reuses it.
func MarkKeyCompromised(cert *Certificate, pub crypto.PublicKey) error {
	fp, err := publicKeySHA256(pub)
	if err != nil {
		return err
	}
	if cert.ObjectMeta.Annotations == nil {
		cert.ObjectMeta.Annotations = map[string]string{}
	}
	cert.ObjectMeta.Annotations[AnnotationCompromisedKey] = fp
	return nil
}

// keyCompromised says whether key is the one cert's annotation marks.
func keyCompromised(cert *Certificate, key crypto.Signer) bool {
	marked := cert.ObjectMeta.Annotations[AnnotationCompromisedKey]
	if marked == "" || key == nil {
		return false
	}
	fp, err := publicKeySHA256(key.Public())
	return err != nil || fp == marked
}

func publicKeySHA256(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}
