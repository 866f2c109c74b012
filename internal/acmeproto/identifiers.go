package acmeproto

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/internal/dnsname"
)

// ErrCommonNameNotInSANs means a CSR's commonName is neither one of its DNS
// names nor one of its IP addresses. ACME CAs only vouch for identifiers, so
// such a CN cannot be issued; cert-manager refuses these requests too.
var ErrCommonNameNotInSANs = errors.New("acmeproto: the CSR requests a commonName that is not present in the list of dnsNames or ipAddresses; ACME requires a commonName to also be one of them")

// Identifiers returns the identifiers an order for csr must carry: its DNS
// names and IP addresses, canonical, without duplicates, DNS names first,
// each group sorted. The commonName adds none: it must be one of them.
func Identifiers(csr *x509.CertificateRequest) ([]acme.AuthzID, error) {
	dns := make([]string, 0, len(csr.DNSNames))
	for _, n := range csr.DNSNames {
		c, err := dnsname.Canonical(n)
		if err != nil {
			return nil, fmt.Errorf("acmeproto: dnsName %q: %w", n, err)
		}
		dns = append(dns, c)
	}
	slices.Sort(dns)
	dns = slices.Compact(dns)
	ips := make([]string, 0, len(csr.IPAddresses))
	for _, ip := range csr.IPAddresses {
		a, ok := netip.AddrFromSlice(ip)
		if !ok {
			return nil, fmt.Errorf("acmeproto: invalid IP address %v", ip)
		}
		ips = append(ips, a.Unmap().String())
	}
	slices.Sort(ips)
	ips = slices.Compact(ips)
	if cn := csr.Subject.CommonName; cn != "" && !commonNameListed(cn, dns, ips) {
		return nil, fmt.Errorf("%w (commonName %q)", ErrCommonNameNotInSANs, cn)
	}
	if len(dns)+len(ips) == 0 {
		return nil, errors.New("acmeproto: the CSR names no DNS name or IP address to order")
	}
	return append(acme.DomainIDs(dns...), acme.IPIDs(ips...)...), nil
}

func commonNameListed(cn string, dns, ips []string) bool {
	if a, err := netip.ParseAddr(cn); err == nil {
		return slices.Contains(ips, a.Unmap().String())
	}
	c, err := dnsname.Canonical(cn)
	return err == nil && slices.Contains(dns, c)
}
