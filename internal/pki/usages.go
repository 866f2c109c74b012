package pki

import (
	"crypto/x509"
	"fmt"
)

var keyUsages = map[string]x509.KeyUsage{
	"signing":            x509.KeyUsageDigitalSignature,
	"digital signature":  x509.KeyUsageDigitalSignature,
	"content commitment": x509.KeyUsageContentCommitment,
	"key encipherment":   x509.KeyUsageKeyEncipherment,
	"key agreement":      x509.KeyUsageKeyAgreement,
	"data encipherment":  x509.KeyUsageDataEncipherment,
	"cert sign":          x509.KeyUsageCertSign,
	"crl sign":           x509.KeyUsageCRLSign,
	"encipher only":      x509.KeyUsageEncipherOnly,
	"decipher only":      x509.KeyUsageDecipherOnly,
}

var extKeyUsages = map[string]x509.ExtKeyUsage{
	"any":              x509.ExtKeyUsageAny,
	"server auth":      x509.ExtKeyUsageServerAuth,
	"client auth":      x509.ExtKeyUsageClientAuth,
	"code signing":     x509.ExtKeyUsageCodeSigning,
	"email protection": x509.ExtKeyUsageEmailProtection,
	"s/mime":           x509.ExtKeyUsageEmailProtection,
	"ipsec end system": x509.ExtKeyUsageIPSECEndSystem,
	"ipsec tunnel":     x509.ExtKeyUsageIPSECTunnel,
	"ipsec user":       x509.ExtKeyUsageIPSECUser,
	"timestamping":     x509.ExtKeyUsageTimeStamping,
	"ocsp signing":     x509.ExtKeyUsageOCSPSigning,
	"microsoft sgc":    x509.ExtKeyUsageMicrosoftServerGatedCrypto,
	"netscape sgc":     x509.ExtKeyUsageNetscapeServerGatedCrypto,
}

// DefaultUsages returns cert-manager's defaults when a Certificate names none.
func DefaultUsages() []string { return []string{"digital signature", "key encipherment"} }

// KnownUsage reports whether name is a cert-manager key usage name.
func KnownUsage(name string) bool {
	_, k := keyUsages[name]
	_, e := extKeyUsages[name]
	return k || e
}

// Usages maps cert-manager usage names to X.509 key usages. An empty list
// means DefaultUsages; isCA adds cert sign.
func Usages(names []string, isCA bool) (x509.KeyUsage, []x509.ExtKeyUsage, error) {
	if len(names) == 0 {
		names = DefaultUsages()
	}
	var ku x509.KeyUsage
	var eku []x509.ExtKeyUsage
	for _, n := range names {
		if u, ok := keyUsages[n]; ok {
			ku |= u
			continue
		}
		if u, ok := extKeyUsages[n]; ok {
			eku = append(eku, u)
			continue
		}
		return 0, nil, fmt.Errorf("pki: unknown key usage %q", n)
	}
	if isCA {
		ku |= x509.KeyUsageCertSign
	}
	return ku, eku, nil
}

// UsageNames names the usages a certificate carries, in cert-manager's
// words: key usages in bit order, then extended key usages in their order.
// Usages with no cert-manager name are left out.
func UsageNames(ku x509.KeyUsage, eku []x509.ExtKeyUsage) []string {
	var out []string
	for _, n := range []string{"digital signature", "content commitment", "key encipherment", "key agreement",
		"data encipherment", "cert sign", "crl sign", "encipher only", "decipher only"} {
		if ku&keyUsages[n] != 0 {
			out = append(out, n)
		}
	}
	for _, u := range eku {
		for _, n := range []string{"any", "server auth", "client auth", "code signing", "email protection", "ipsec end system",
			"ipsec tunnel", "ipsec user", "timestamping", "ocsp signing", "microsoft sgc", "netscape sgc"} {
			if extKeyUsages[n] == u {
				out = append(out, n)
				break
			}
		}
	}
	return out
}
