package certificate

import (
	"crypto"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"net/url"

	"github.com/certflow/certflow/internal/pki"
)

// buildCSR makes the PEM CSR for spec signed by key.
func buildCSR(spec *Spec, key crypto.Signer) ([]byte, error) {
	t := pki.CSRTemplate{
		Subject:        subjectOf(spec),
		DNSNames:       spec.DNSNames,
		EmailAddresses: spec.EmailAddresses,
	}
	for _, s := range spec.IPAddresses {
		ip := net.ParseIP(s)
		if ip == nil {
			return nil, fmt.Errorf("certificate: invalid IP address %q", s)
		}
		t.IPAddresses = append(t.IPAddresses, ip)
	}
	for _, s := range spec.URIs {
		u, err := url.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("certificate: invalid URI %q: %w", s, err)
		}
		t.URIs = append(t.URIs, u)
	}
	return pki.CreateCSR(key, t)
}

func subjectOf(spec *Spec) pkix.Name {
	n := pkix.Name{CommonName: spec.CommonName}
	if s := spec.Subject; s != nil {
		n.Organization = s.Organizations
		n.Country = s.Countries
		n.OrganizationalUnit = s.OrganizationalUnits
		n.Locality = s.Localities
		n.Province = s.Provinces
		n.StreetAddress = s.StreetAddresses
		n.PostalCode = s.PostalCodes
		n.SerialNumber = s.SerialNumber
	}
	return n
}
