package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"unicode"
)

// x509.CreateCertificateRequest checks the signature it has just made
// (signTBS, "to ensure the crypto.Signer behaved correctly"): for an
// in-memory ECDSA key that verification costs twice the signature, and a
// CSR is made for every issuance and checked again by the request's
// validation and by the CA. encodeCSR writes the same DER for the keys
// certflow generates (RSA, ECDSA, Ed25519) without that check; any other
// signer goes through x509. It writes with derWriter rather than
// encoding/asn1's reflection (a CSR took some ninety allocations that way).
// TestEncodeCSRMatchesX509 holds it to x509's encoding byte for byte.

// Object identifiers of the CSR's parts (RFC 2986, RFC 5280, RFC 5758,
// RFC 8410, RFC 2985).
var (
	oidExtensionRequest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 14}
	oidSubjectAltName   = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidSHA256WithRSA    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidECDSAWithSHA256  = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSAWithSHA384  = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSAWithSHA512  = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
	oidSignatureEd25519 = asn1.ObjectIdentifier{1, 3, 101, 112}
)

// GeneralName tags of subjectAltName (RFC 5280 §4.2.1.6).
const (
	generalNameEmail = 1
	generalNameDNS   = 2
	generalNameURI   = 6
	generalNameIP    = 7
)

// signing is how a key signs a CSR: the algorithm named in it and the hash
// its signature is over (0: the message itself, Ed25519).
type signing struct {
	algorithm pkix.AlgorithmIdentifier
	hash      crypto.Hash
}

// signingOf returns how key signs, as x509 picks it by default; ok is false
// for a key x509 should handle itself.
func signingOf(key crypto.Signer) (signing, bool) {
	switch pub := key.Public().(type) {
	case *rsa.PublicKey:
		return signing{pkix.AlgorithmIdentifier{Algorithm: oidSHA256WithRSA, Parameters: asn1.NullRawValue}, crypto.SHA256}, true
	case *ecdsa.PublicKey:
		switch pub.Curve {
		case elliptic.P256():
			return signing{pkix.AlgorithmIdentifier{Algorithm: oidECDSAWithSHA256}, crypto.SHA256}, true
		case elliptic.P384():
			return signing{pkix.AlgorithmIdentifier{Algorithm: oidECDSAWithSHA384}, crypto.SHA384}, true
		case elliptic.P521():
			return signing{pkix.AlgorithmIdentifier{Algorithm: oidECDSAWithSHA512}, crypto.SHA512}, true
		}
	case ed25519.PublicKey:
		return signing{pkix.AlgorithmIdentifier{Algorithm: oidSignatureEd25519}, 0}, true
	}
	return signing{}, false
}

// encodeCSR returns t signed by key as DER, or ok false when key is not one
// encodeCSR knows (then x509 makes it).
func encodeCSR(key crypto.Signer, t CSRTemplate) (der []byte, ok bool, err error) {
	how, ok := signingOf(key)
	if !ok {
		return nil, false, nil
	}
	info, err := encodeCSRInfo(key.Public(), t)
	if err != nil {
		return nil, true, err
	}
	signed := info
	if how.hash != 0 {
		h := how.hash.New()
		h.Write(info)
		signed = h.Sum(nil)
	}
	sig, err := key.Sign(rand.Reader, signed, how.hash)
	if err != nil {
		return nil, true, fmt.Errorf("sign: %w", err)
	}
	// CertificationRequest (RFC 2986 §4.2).
	w := newDERWriter(len(info) + len(sig) + 32)
	w.open(derSequence)
	w.raw(info)
	w.open(derSequence)
	w.oid(how.algorithm.Algorithm)
	if how.algorithm.Parameters.Tag == asn1.TagNull { // RSA's
		w.b = append(w.b, derNull, 0)
	}
	w.close()
	w.bitString(sig)
	w.close()
	if der, ok = w.bytes(); !ok {
		return nil, true, errDER
	}
	return der, true, nil
}

// encodeCSRInfo is the CertificationRequestInfo (RFC 2986 §4.1) of t for
// pub, as x509 writes it: version 0, the subject's RDN sequence, the key,
// and the names in a subjectAltName extension (not critical) of an
// extensionRequest attribute.
func encodeCSRInfo(pub crypto.PublicKey, t CSRTemplate) ([]byte, error) {
	subject, err := asn1.Marshal(t.Subject.ToRDNSequence())
	if err != nil {
		return nil, err
	}
	spki, err := publicKeyDER(pub)
	if err != nil {
		return nil, err
	}
	uris, err := checkSANs(t)
	if err != nil {
		return nil, err
	}
	size := len(subject) + len(spki) + 64
	for _, n := range t.DNSNames {
		size += len(n) + 4
	}
	w := newDERWriter(size)
	w.open(derSequence)
	w.smallInt(0)
	w.raw(subject)
	w.raw(spki)
	w.open(derContext(0, true)) // attributes
	if len(t.DNSNames)+len(t.EmailAddresses)+len(t.IPAddresses)+len(uris) > 0 {
		w.open(derSequence) // Attribute
		w.oid(oidExtensionRequest)
		w.open(derSet)
		w.open(derSequence) // Extensions
		w.open(derSequence) // Extension, not critical
		w.oid(oidSubjectAltName)
		w.open(derOctetString)
		w.subjectAltNames(t, uris)
		w.close()
		w.close()
		w.close()
		w.close()
		w.close()
	}
	w.close()
	w.close()
	der, ok := w.bytes()
	if !ok {
		return nil, errDER
	}
	return der, nil
}

// checkSANs refuses names an IA5String cannot hold, as x509 does, and
// returns the URIs as strings.
func checkSANs(t CSRTemplate) ([]string, error) {
	for _, n := range t.DNSNames {
		if err := ia5(n); err != nil {
			return nil, err
		}
	}
	for _, e := range t.EmailAddresses {
		if err := ia5(e); err != nil {
			return nil, err
		}
	}
	if len(t.URIs) == 0 {
		return nil, nil
	}
	uris := make([]string, len(t.URIs))
	for i, u := range t.URIs {
		uris[i] = u.String()
		if err := ia5(uris[i]); err != nil {
			return nil, err
		}
	}
	return uris, nil
}

// subjectAltNames writes the subjectAltName of t's names, in x509's order:
// DNS names, email addresses, IP addresses (IPv4 in 4 bytes), URIs.
func (w *derWriter) subjectAltNames(t CSRTemplate, uris []string) {
	w.open(derSequence)
	for _, n := range t.DNSNames {
		w.elementString(derContext(generalNameDNS, false), n)
	}
	for _, e := range t.EmailAddresses {
		w.elementString(derContext(generalNameEmail, false), e)
	}
	for _, ip := range t.IPAddresses {
		if v4 := ip.To4(); v4 != nil {
			ip = v4
		}
		w.element(derContext(generalNameIP, false), ip)
	}
	for _, u := range uris {
		w.elementString(derContext(generalNameURI, false), u)
	}
	w.close()
}

// ia5 refuses what an IA5String cannot hold, as x509 does.
func ia5(s string) error {
	for _, r := range s {
		if r > unicode.MaxASCII {
			return fmt.Errorf("%q cannot be encoded as an IA5String", s)
		}
	}
	return nil
}

// publicKeyDER is x509.MarshalPKIXPublicKey, written without reflection
// for the ECDSA keys certflow generates by default.
func publicKeyDER(pub crypto.PublicKey) ([]byte, error) {
	if ec, ok := pub.(*ecdsa.PublicKey); ok {
		if der, ok, err := ecPublicKeyDER(ec); ok {
			return der, err
		}
	}
	return x509.MarshalPKIXPublicKey(pub)
}
