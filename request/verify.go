package request

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"

	"github.com/certflow/certflow/internal/dnsname"
	"github.com/certflow/certflow/internal/pki"
)

// verifyLeaf checks that the first certificate of chain is the one csr asked
// for: the CSR's public key, every DNS name, IP address, URI and e-mail
// address the CSR lists, and no DNS name or IP address beyond those and the
// CSR's commonName. A CA may drop the commonName from the subject or
// reorder and re-case the names (as cert-manager tolerates).
func verifyLeaf(csr *x509.CertificateRequest, chain []byte, chains *pki.ChainMemo) error {
	certs, err := chains.Parse(chain)
	if err != nil {
		return fmt.Errorf("unreadable certificate: %w", err)
	}
	if len(certs) == 0 {
		return errors.New("no certificate")
	}
	leaf := certs[0]
	if !pki.PublicKeysEqual(csr.PublicKey, leaf.PublicKey) {
		return errors.New("its public key is not the CSR's public key")
	}
	wantDNS, gotDNS := dnsname.Set(csr.DNSNames), dnsname.Set(leaf.DNSNames)
	wantIP, gotIP := ipSet(csr.IPAddresses), ipSet(leaf.IPAddresses)
	for _, n := range wantDNS {
		if !slices.Contains(gotDNS, n) {
			return fmt.Errorf("it lacks the DNS name %q", n)
		}
	}
	for _, ip := range wantIP {
		if !slices.Contains(gotIP, ip) {
			return fmt.Errorf("it lacks the IP address %s", ip)
		}
	}
	cn := dnsname.Fold(csr.Subject.CommonName)
	if a, err := netip.ParseAddr(csr.Subject.CommonName); err == nil {
		cn = a.Unmap().String()
	}
	for _, n := range gotDNS {
		if !slices.Contains(wantDNS, n) && n != cn {
			return fmt.Errorf("it names the DNS name %q, which was not requested", n)
		}
	}
	for _, ip := range gotIP {
		if !slices.Contains(wantIP, ip) && ip != cn {
			return fmt.Errorf("it names the IP address %s, which was not requested", ip)
		}
	}
	for _, u := range csr.URIs {
		if !slices.ContainsFunc(leaf.URIs, func(l *url.URL) bool { return l.String() == u.String() }) {
			return fmt.Errorf("it lacks the URI %s", u)
		}
	}
	for _, e := range csr.EmailAddresses {
		if !slices.Contains(leaf.EmailAddresses, e) {
			return fmt.Errorf("it lacks the e-mail address %s", e)
		}
	}
	return nil
}

// ipSet returns IP addresses canonical, sorted and without duplicates.
func ipSet(ips []net.IP) []string {
	out := make([]string, 0, len(ips))
	for _, ip := range ips {
		if a, ok := netip.AddrFromSlice(ip); ok {
			out = append(out, a.Unmap().String())
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
