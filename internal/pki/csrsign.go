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
// signer goes through x509. TestEncodeCSRMatchesX509 holds it to x509's
// encoding byte for byte.

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

// tbsCSR is CertificationRequestInfo (RFC 2986 §4.1).
type tbsCSR struct {
	Version    int
	Subject    asn1.RawValue
	PublicKey  asn1.RawValue
	Attributes []asn1.RawValue `asn1:"tag:0"`
}

// signedCSR is CertificationRequest (RFC 2986 §4.2).
type signedCSR struct {
	Info      asn1.RawValue
	Algorithm pkix.AlgorithmIdentifier
	Signature asn1.BitString
}

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
	der, err = asn1.Marshal(signedCSR{
		Info:      asn1.RawValue{FullBytes: info},
		Algorithm: how.algorithm,
		Signature: asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)},
	})
	return der, true, err
}

// encodeCSRInfo is the CertificationRequestInfo of t for pub, as x509
// writes it: the subject's RDN sequence, the key, and the names in a
// subjectAltName extension (not critical) of an extensionRequest
// attribute.
func encodeCSRInfo(pub crypto.PublicKey, t CSRTemplate) ([]byte, error) {
	subject, err := asn1.Marshal(t.Subject.ToRDNSequence())
	if err != nil {
		return nil, err
	}
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	info := tbsCSR{Subject: asn1.RawValue{FullBytes: subject}, PublicKey: asn1.RawValue{FullBytes: spki}}
	if len(t.DNSNames)+len(t.EmailAddresses)+len(t.IPAddresses)+len(t.URIs) > 0 {
		san, err := encodeSANs(t)
		if err != nil {
			return nil, err
		}
		attr, err := asn1.Marshal(struct {
			Type  asn1.ObjectIdentifier
			Value [][]pkix.Extension `asn1:"set"`
		}{oidExtensionRequest, [][]pkix.Extension{{{Id: oidSubjectAltName, Value: san}}}})
		if err != nil {
			return nil, err
		}
		info.Attributes = []asn1.RawValue{{FullBytes: attr}}
	}
	return asn1.Marshal(info)
}

// encodeSANs is the subjectAltName of t's names, in x509's order: DNS
// names, email addresses, IP addresses (IPv4 in 4 bytes), URIs.
func encodeSANs(t CSRTemplate) ([]byte, error) {
	var names []asn1.RawValue
	add := func(tag int, b []byte) {
		names = append(names, asn1.RawValue{Tag: tag, Class: asn1.ClassContextSpecific, Bytes: b})
	}
	for _, n := range t.DNSNames {
		if err := ia5(n); err != nil {
			return nil, err
		}
		add(generalNameDNS, []byte(n))
	}
	for _, e := range t.EmailAddresses {
		if err := ia5(e); err != nil {
			return nil, err
		}
		add(generalNameEmail, []byte(e))
	}
	for _, ip := range t.IPAddresses {
		if v4 := ip.To4(); v4 != nil {
			ip = v4
		}
		add(generalNameIP, ip)
	}
	for _, u := range t.URIs {
		s := u.String()
		if err := ia5(s); err != nil {
			return nil, err
		}
		add(generalNameURI, []byte(s))
	}
	return asn1.Marshal(names)
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
