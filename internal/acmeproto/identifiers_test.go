package acmeproto

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"
)

func TestIdentifiers(t *testing.T) {
	tests := []struct {
		name    string
		csr     x509.CertificateRequest
		want    []acme.AuthzID
		wantErr error
	}{
		{name: "SANs in any order and case, duplicates once",
			csr:  x509.CertificateRequest{DNSNames: []string{"B.example", "a.example.", "b.example"}, IPAddresses: []net.IP{net.ParseIP("::ffff:10.0.0.1"), net.ParseIP("10.0.0.1")}},
			want: append(acme.DomainIDs("a.example", "b.example"), acme.IPIDs("10.0.0.1")...)},
		{name: "a commonName among the SANs adds nothing",
			csr:  x509.CertificateRequest{Subject: pkix.Name{CommonName: "A.example"}, DNSNames: []string{"a.example", "b.example"}},
			want: acme.DomainIDs("a.example", "b.example")},
		{name: "an IP commonName among the IP SANs",
			csr:  x509.CertificateRequest{Subject: pkix.Name{CommonName: "10.0.0.1"}, IPAddresses: []net.IP{net.ParseIP("10.0.0.1")}},
			want: acme.IPIDs("10.0.0.1")},
		{name: "a commonName outside the SANs is refused before ordering",
			csr:     x509.CertificateRequest{Subject: pkix.Name{CommonName: "c.example"}, DNSNames: []string{"a.example"}},
			wantErr: ErrCommonNameNotInSANs},
		{name: "nothing to order", csr: x509.CertificateRequest{Subject: pkix.Name{CommonName: ""}}},
		{name: "impossible name", csr: x509.CertificateRequest{DNSNames: []string{"a..example"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Identifiers(&tt.csr)
			if tt.want == nil {
				require.Error(t, err)
				if tt.wantErr != nil {
					assert.ErrorIs(t, err, tt.wantErr)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
