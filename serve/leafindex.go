package serve

import (
	"bytes"
	"crypto/x509"
	encasn1 "encoding/asn1"
	"math/big"
	"net"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// leafIndex is what the serving index takes from a leaf certificate: its
// DNS and IP SANs, as x509.Certificate holds them, and its NotAfter.
type leafIndex struct {
	dnsNames []string
	ips      []net.IP
	notAfter time.Time
}

// indexLeaf returns the index's part of the leaf certificate der. A
// restart serving 100k Secrets parsed every leaf with x509.ParseCertificate
// (a fifth of the CPU until every name is served) for three fields, so a
// leaf in the common shape (DNS and IP SANs only, non-negative serial) is
// walked instead (walkLeaf), and anything else is parsed by x509, whose
// error is returned.
//
// The walk accepts no leaf x509 refuses for a reason in the parts it reads:
// the envelope and trailing data, version, serial, both signature
// algorithm identifiers and their match, validity, the public key's
// envelope, the extension list (duplicates included) and the SAN
// extension; for every leaf x509 accepts it returns x509's names and
// NotAfter (FuzzIndexLeaf holds it to both). What it leaves unread (the
// issuer and subject names, the public key itself, the other extensions'
// contents) is read when the first handshake that needs the key parses it
// together with the leaf (lazyKey, tls.X509KeyPair), which stops serving a
// leaf x509 refuses exactly as it does a broken key.
func indexLeaf(der []byte) (leafIndex, error) {
	if idx, ok := walkLeaf(der); ok {
		return idx, nil
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return leafIndex{}, err
	}
	return leafIndex{dnsNames: leaf.DNSNames, ips: leaf.IPAddresses, notAfter: leaf.NotAfter}, nil
}

// walkLeaf reads der as x509's parser does (crypto/x509's parseCertificate,
// step by step) and reports false, deciding nothing, at the first thing it
// does not take (anything malformed, and what it leaves to x509).
func walkLeaf(der []byte) (leafIndex, bool) {
	var idx leafIndex
	input := cryptobyte.String(der)
	var outer, tbs cryptobyte.String
	if !input.ReadASN1(&outer, asn1.SEQUENCE) || !input.Empty() || // ParseCertificate refuses trailing data
		!outer.ReadASN1(&tbs, asn1.SEQUENCE) {
		return idx, false
	}
	var version int
	if !tbs.ReadOptionalASN1Integer(&version, asn1.Tag(0).Constructed().ContextSpecific(), 0) || version < 0 || version > 2 {
		return idx, false
	}
	version++
	serial := new(big.Int)
	if !tbs.ReadASN1Integer(serial) || serial.Sign() < 0 { // negative: x509 decides (GODEBUG x509negativeserial)
		return idx, false
	}
	var sigAI, outerSigAI cryptobyte.String
	if !tbs.ReadASN1(&sigAI, asn1.SEQUENCE) || !outer.ReadASN1(&outerSigAI, asn1.SEQUENCE) ||
		!bytes.Equal(sigAI, outerSigAI) || !algorithmIdentifier(sigAI) {
		return idx, false
	}
	var issuer, validity, subject, spki, pkAI cryptobyte.String
	if !tbs.ReadASN1Element(&issuer, asn1.SEQUENCE) || !tbs.ReadASN1(&validity, asn1.SEQUENCE) {
		return idx, false
	}
	var notBefore time.Time
	if !readTime(&validity, &notBefore) || !readTime(&validity, &idx.notAfter) {
		return idx, false
	}
	var key encasn1.BitString
	if !tbs.ReadASN1Element(&subject, asn1.SEQUENCE) || !tbs.ReadASN1(&spki, asn1.SEQUENCE) ||
		!spki.ReadASN1(&pkAI, asn1.SEQUENCE) || !algorithmIdentifier(pkAI) || !spki.ReadASN1BitString(&key) {
		return idx, false
	}
	if version > 1 {
		if !tbs.SkipOptionalASN1(asn1.Tag(1).ContextSpecific()) || !tbs.SkipOptionalASN1(asn1.Tag(2).ContextSpecific()) {
			return idx, false
		}
		if version == 3 && !walkExtensions(&tbs, &idx) {
			return idx, false
		}
	}
	var signature encasn1.BitString
	return idx, outer.ReadASN1BitString(&signature)
}

// algorithmIdentifier checks an AlgorithmIdentifier's content as x509's
// parseAI does.
func algorithmIdentifier(ai cryptobyte.String) bool {
	var oid encasn1.ObjectIdentifier
	if !ai.ReadASN1ObjectIdentifier(&oid) {
		return false
	}
	if ai.Empty() {
		return true
	}
	var params cryptobyte.String
	var tag asn1.Tag
	return ai.ReadAnyASN1Element(&params, &tag)
}

// readTime reads a UTCTime or GeneralizedTime as x509's parseTime does.
func readTime(der *cryptobyte.String, t *time.Time) bool {
	switch {
	case der.PeekASN1Tag(asn1.UTCTime):
		return der.ReadASN1UTCTime(t)
	case der.PeekASN1Tag(asn1.GeneralizedTime):
		return der.ReadASN1GeneralizedTime(t)
	}
	return false
}

// oidSAN is subjectAltName's OID, 2.5.29.17, as DER.
var oidSAN = []byte{0x06, 0x03, 0x55, 0x1d, 0x11}

// walkExtensions reads the optional extensions of tbs as x509 does (each
// well formed, none twice) and the SANs of idx from subjectAltName.
func walkExtensions(tbs *cryptobyte.String, idx *leafIndex) bool {
	var exts cryptobyte.String
	var present bool
	if !tbs.ReadOptionalASN1(&exts, &present, asn1.Tag(3).Constructed().ContextSpecific()) {
		return false
	}
	if !present {
		return true
	}
	if !exts.ReadASN1(&exts, asn1.SEQUENCE) {
		return false
	}
	var seen [][]byte // OIDs as DER: an OID has one encoding that parses
	var san cryptobyte.String
	haveSAN := false
	for !exts.Empty() {
		var ext, value cryptobyte.String
		var oid encasn1.ObjectIdentifier
		if !exts.ReadASN1(&ext, asn1.SEQUENCE) {
			return false
		}
		before := ext
		if !ext.ReadASN1ObjectIdentifier(&oid) {
			return false
		}
		oidDER := before[:len(before)-len(ext)]
		if ext.PeekASN1Tag(asn1.BOOLEAN) {
			var critical bool
			if !ext.ReadASN1Boolean(&critical) {
				return false
			}
		}
		if !ext.ReadASN1(&value, asn1.OCTET_STRING) {
			return false
		}
		for _, s := range seen {
			if bytes.Equal(s, oidDER) {
				return false
			}
		}
		seen = append(seen, oidDER)
		if bytes.Equal(oidDER, oidSAN) {
			san, haveSAN = value, true
		}
	}
	return !haveSAN || walkSANs(san, idx)
}

// walkSANs reads subjectAltName's DNS names and IP addresses as x509's
// parseSANExtension does; an e-mail address or URI is left to x509.
func walkSANs(der cryptobyte.String, idx *leafIndex) bool {
	if !der.ReadASN1(&der, asn1.SEQUENCE) {
		return false
	}
	for !der.Empty() {
		var name cryptobyte.String
		var tag asn1.Tag
		if !der.ReadAnyASN1(&name, &tag) {
			return false
		}
		switch tag ^ 0x80 {
		case 2: // dNSName
			if !ia5(name) {
				return false
			}
			idx.dnsNames = append(idx.dnsNames, string(name))
		case 7: // iPAddress
			if len(name) != net.IPv4len && len(name) != net.IPv6len {
				return false
			}
			idx.ips = append(idx.ips, net.IP(name))
		case 1, 6: // rfc822Name, uniformResourceIdentifier
			return false
		}
	}
	return true
}

// ia5 reports whether s is ASCII, as x509's isIA5String checks.
func ia5(s []byte) bool {
	for _, c := range s {
		if c >= 0x80 {
			return false
		}
	}
	return true
}
