package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/asn1"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Every issuance encodes an ECDSA key twice (the next-key Secret in
// PKCS#8, the certificate's Secret in the form its spec asks) and its
// public key once (the CSR); x509 builds these with encoding/asn1's
// reflection, some sixty allocations each. The encoders below write the
// same DER with cryptobyte into one buffer; TestECDERMatchesX509 holds them
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

// addOID writes oid as an OBJECT IDENTIFIER.
func addOID(b *cryptobyte.Builder, oid asn1.ObjectIdentifier) {
	b.AddASN1ObjectIdentifier(oid)
}

// addECAlgorithm writes the AlgorithmIdentifier of an EC key on curve.
func addECAlgorithm(b *cryptobyte.Builder, curve asn1.ObjectIdentifier) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		addOID(b, oidPublicKeyECDSA)
		addOID(b, curve)
	})
}

// addBitString writes data as a BIT STRING with no unused bits.
func addBitString(b *cryptobyte.Builder, data []byte) {
	b.AddASN1(cbasn1.BIT_STRING, func(b *cryptobyte.Builder) {
		b.AddUint8(0)
		b.AddBytes(data)
	})
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
	b := cryptobyte.NewBuilder(make([]byte, 0, 32+len(point)))
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		addECAlgorithm(b, curve)
		addBitString(b, point)
	})
	der, err = b.Bytes()
	return der, true, err
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
	point, err := key.PublicKey.Bytes()
	if err != nil {
		return nil, true, err
	}
	sec1 := func(b *cryptobyte.Builder, withCurve bool) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1Int64(1)
			b.AddASN1OctetString(priv)
			if withCurve {
				b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { addOID(b, curve) })
			}
			b.AddASN1(cbasn1.Tag(1).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { addBitString(b, point) })
		})
	}
	b := cryptobyte.NewBuilder(make([]byte, 0, 64+len(priv)+len(point)))
	if !pkcs8 {
		sec1(b, true)
	} else {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1Int64(0)
			addECAlgorithm(b, curve)
			b.AddASN1(cbasn1.OCTET_STRING, func(b *cryptobyte.Builder) { sec1(b, false) })
		})
	}
	der, err = b.Bytes()
	clear(priv)
	return der, true, err
}
