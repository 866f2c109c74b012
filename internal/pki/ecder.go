package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/asn1"
	"errors"
)

// Every issuance encodes an ECDSA key twice (the next-key Secret in
// PKCS#8, the certificate's Secret in the form its spec asks) and its
// public key once (the CSR); x509 builds these with encoding/asn1's
// reflection, some sixty allocations each. The encoders below write the
// same DER into one buffer (derWriter); TestECDERMatchesX509 holds them
// to x509's bytes for every curve.

var (
	oidPublicKeyECDSA = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidCurveP256      = asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}
	oidCurveP384      = asn1.ObjectIdentifier{1, 3, 132, 0, 34}
	oidCurveP521      = asn1.ObjectIdentifier{1, 3, 132, 0, 35}
)

// curveOID is the named curve of c, or nil for a curve x509 would refuse.
func curveOID(c elliptic.Curve) asn1.ObjectIdentifier {
	switch c {
	case elliptic.P256():
		return oidCurveP256
	case elliptic.P384():
		return oidCurveP384
	case elliptic.P521():
		return oidCurveP521
	}
	return nil
}

// ecAlgorithm writes the AlgorithmIdentifier of an EC key on curve.
func (w *derWriter) ecAlgorithm(curve asn1.ObjectIdentifier) {
	w.open(derSequence)
	w.oid(oidPublicKeyECDSA)
	w.oid(curve)
	w.close()
}

// ecPublicKeyDER is x509.MarshalPKIXPublicKey of pub; ok is false for a
// curve it does not know (then x509 decides).
func ecPublicKeyDER(pub *ecdsa.PublicKey) (der []byte, ok bool, err error) {
	curve := curveOID(pub.Curve)
	if curve == nil {
		return nil, false, nil
	}
	point, err := pub.Bytes()
	if err != nil {
		return nil, true, err
	}
	w := newDERWriter(48 + len(point))
	w.open(derSequence)
	w.ecAlgorithm(curve)
	w.bitString(point)
	w.close()
	der, ok = w.bytes()
	if !ok {
		return nil, true, errDER
	}
	return der, true, nil
}

// ecPrivateKeyDER is x509.MarshalECPrivateKey of key (SEC 1), or with
// pkcs8 x509.MarshalPKCS8PrivateKey; ok is false for a curve it does not
// know. The key bytes live only in the returned DER.
func ecPrivateKeyDER(key *ecdsa.PrivateKey, pkcs8 bool) (der []byte, ok bool, err error) {
	curve := curveOID(key.Curve)
	if curve == nil {
		return nil, false, nil
	}
	priv, err := key.Bytes()
	if err != nil {
		return nil, true, err
	}
	defer clear(priv)
	point, err := key.PublicKey.Bytes()
	if err != nil {
		return nil, true, err
	}
	w := newDERWriter(ecPrivateKeyDERCap(len(priv), len(point)))
	if pkcs8 {
		w.open(derSequence)
		w.smallInt(0)
		w.ecAlgorithm(curve)
		w.open(derOctetString)
	}
	w.open(derSequence) // ECPrivateKey (RFC 5915 §3)
	w.smallInt(1)
	w.element(derOctetString, priv)
	if !pkcs8 { // PKCS#8 names the curve in its own AlgorithmIdentifier
		w.open(derContext(0, true))
		w.oid(curve)
		w.close()
	}
	w.open(derContext(1, true))
	w.bitString(point)
	w.close()
	w.close()
	if pkcs8 {
		w.close()
		w.close()
	}
	der, ok = w.bytes()
	if !ok {
		clear(der)
		return nil, true, errDER
	}
	return der, true, nil
}

// ecPrivateKeyDERCap is the buffer ecPrivateKeyDER writes into: room for
// the longest form (PKCS#8) with every element's four-octet length
// reserved, so that the buffer never grows and leaves a copy of the scalar
// behind for the collector (TestECPrivateKeyDERNeverGrows).
func ecPrivateKeyDERCap(priv, point int) int { return 80 + priv + point }

// errDER means an encoder made something that is not DER: a bug, never
// the input's fault.
var errDER = errors.New("pki: DER encoding overflow")
