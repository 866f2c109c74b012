package serve

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// idPeACMEIdentifier is the OID of the acmeIdentifier extension (RFC 8737 §6.1).
func idPeACMEIdentifier() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 31}
}

// challengeLifetime bounds the challenge certificate's validity. Validators
// ignore it, but a bounded validity keeps it from looking like a real leaf.
const challengeLifetime = 7 * 24 * time.Hour

// challengeCert builds the TLS-ALPN-01 certificate of RFC 8737 §3 for a
// normalized identifier (DNS name or IP address, RFC 8738 §6): self-signed
// with an ephemeral P-256 key, the identifier as its only SAN, and a critical
// acmeIdentifier extension whose value is the DER OCTET STRING of
// SHA-256(keyAuth). x/crypto/acme's TLSALPN01ChallengeCert needs the account
// key; only the key authorization is known here.
func challengeCert(identifier, keyAuth string, now time.Time) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("challenge certificate: %w", err)
	}
	sum := sha256.Sum256([]byte(keyAuth))
	value, err := asn1.Marshal(sum[:])
	if err != nil {
		return nil, fmt.Errorf("challenge certificate: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("challenge certificate: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(challengeLifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		ExtraExtensions: []pkix.Extension{{
			Id:       idPeACMEIdentifier(),
			Critical: true,
			Value:    value,
		}},
	}
	if ip, err := netip.ParseAddr(identifier); err == nil {
		tmpl.IPAddresses = []net.IP{ip.AsSlice()}
	} else {
		tmpl.DNSNames = []string{identifier}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("challenge certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("challenge certificate: %w", err)
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// reverseName is the reverse-mapping name of ip without trailing dot
// ("4.3.2.1.in-addr.arpa", nibbles under "ip6.arpa"), the SNI a TLS-ALPN-01
// validator sends for an IP identifier (RFC 8738 §6).
func reverseName(ip netip.Addr) string {
	var b strings.Builder
	ip = ip.Unmap()
	if ip.Is4() {
		a := ip.As4()
		for i := len(a) - 1; i >= 0; i-- {
			b.WriteString(strconv.Itoa(int(a[i])))
			b.WriteByte('.')
		}
		b.WriteString("in-addr.arpa")
		return b.String()
	}
	const hex = "0123456789abcdef"
	a := ip.As16()
	for i := len(a) - 1; i >= 0; i-- {
		b.WriteByte(hex[a[i]&0x0f])
		b.WriteByte('.')
		b.WriteByte(hex[a[i]>>4])
		b.WriteByte('.')
	}
	b.WriteString("ip6.arpa")
	return b.String()
}
