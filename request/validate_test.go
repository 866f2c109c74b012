package request

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
)

// csrWithUsages makes a CSR for example.com that encodes key usages and
// extended key usages as cert-manager's test generator does
// (gen.CSRForCertificate): noKU omits both extensions; emptyKU encodes an
// empty key usage bit string.
func csrWithUsages(t *testing.T, key crypto.Signer, ku x509.KeyUsage, eku []x509.ExtKeyUsage, noKU, emptyKU bool) []byte {
	t.Helper()
	tmpl := &x509.CertificateRequest{Subject: pkix.Name{CommonName: "example.com"}, DNSNames: []string{"example.com"}}
	if !noKU {
		bits := asn1.BitString{Bytes: []byte{0, 0}, BitLength: 9}
		for i := 0; i < 9; i++ {
			if ku&(1<<uint(i)) != 0 {
				bits.Bytes[i/8] |= 0x80 >> uint(i%8)
			}
		}
		if emptyKU {
			bits = asn1.BitString{Bytes: []byte{}, BitLength: 0}
		}
		v, err := asn1.Marshal(bits)
		require.NoError(t, err)
		tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, pkix.Extension{Id: oidKeyUsage, Value: v})
		if len(eku) > 0 {
			oids := make([]asn1.ObjectIdentifier, 0, len(eku))
			for _, u := range eku {
				oids = append(oids, extKeyUsageOID[u])
			}
			v, err := asn1.Marshal(oids)
			require.NoError(t, err)
			tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, pkix.Extension{Id: oidExtKeyUsage, Value: v})
		}
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

// Ported from cert-manager v1.21.1,
// internal/apis/certmanager/validation/certificaterequest_test.go,
// TestValidateCertificateRequest: every row; the expected result is the list
// of offending fields. The CSRs encode the usages cert-manager's generator
// encodes for each row's Certificate. TestValidateCertificateRequestUpdate
// (spec and cert-manager.io annotations immutable, approval conditions
// unchangeable) is not ported: certflow has no update admission for
// requests; the reconciler is their only writer.
func TestValidate_CertManagerTable(t *testing.T) {
	key := testKey(t)
	const (
		ds = x509.KeyUsageDigitalSignature
		ke = x509.KeyUsageKeyEncipherment
		cs = x509.KeyUsageCertSign
	)
	server, client, anyEKU := x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageAny
	validIssuerRef := meta.IssuerRef{Name: "name", Kind: meta.KindClusterIssuer}
	cr := func(csr []byte, isCA bool, usages ...string) *CertificateRequest {
		return &CertificateRequest{Spec: Spec{Request: csr, IssuerRef: validIssuerRef, IsCA: isCA, Usages: usages}}
	}
	withConds := func(conds ...meta.Condition) *CertificateRequest {
		r := cr(csrWithUsages(t, key, cs, []x509.ExtKeyUsage{anyEKU}, false, false), true, "any")
		r.Status.Conditions = conds
		return r
	}
	approvedC := func(s meta.ConditionStatus) meta.Condition {
		return meta.Condition{Type: meta.ConditionApproved, Status: s}
	}
	deniedC := func(s meta.ConditionStatus) meta.Condition {
		return meta.Condition{Type: meta.ConditionDenied, Status: s}
	}
	tests := []struct {
		name   string
		cr     *CertificateRequest
		fields []string
	}{
		{"Test csr with no usages", cr(csrWithUsages(t, key, ds|ke, nil, false, false), false), nil},
		{"Test csr with double signature usages", cr(csrWithUsages(t, key, ds|ke, nil, false, false), false, "signing", "key encipherment"), nil},
		{"Test csr with double extended usages", cr(csrWithUsages(t, key, ds|ke, []x509.ExtKeyUsage{server, client}, false, false), false,
			"signing", "key encipherment", "server auth", "client auth"), nil},
		{"Test csr with reordered usages", cr(csrWithUsages(t, key, ds|ke, []x509.ExtKeyUsage{server, client}, false, false), false,
			"server auth", "client auth", "key encipherment", "digital signature"), nil},
		{"Test csr that is CA with usages set", cr(csrWithUsages(t, key, ds|ke|cs, []x509.ExtKeyUsage{anyEKU}, false, false), true,
			"any", "digital signature", "key encipherment", "cert sign"), nil},
		{"Test csr that is CA but no cert sign in usages", cr(csrWithUsages(t, key, ds|ke|cs, []x509.ExtKeyUsage{anyEKU, client, server}, false, false), true,
			"any", "digital signature", "key encipherment", "client auth", "server auth"), nil},
		{"Test csr with default usages and isCA", cr(csrWithUsages(t, key, ds|cs|ke, nil, false, false), true), nil},
		{"Test cr with default usages", cr(csrWithUsages(t, key, ds|ke, nil, false, false), false, "key encipherment", "digital signature"), nil},
		{"Test cr with default usages, without any encoded in csr", cr(csrWithUsages(t, key, 0, nil, true, false), false, "key encipherment", "digital signature"), nil},
		{"Test cr with default usages, with empty set encoded in csr", cr(csrWithUsages(t, key, 0, nil, false, true), false, "key encipherment", "digital signature"),
			[]string{"spec.request"}},
		{"Error on csr not having all usages", cr(csrWithUsages(t, key, ds|ke, []x509.ExtKeyUsage{server}, false, false), false,
			"signing", "key encipherment", "server auth", "client auth"), []string{"spec.request"}},
		{"Error on cr not having all usages", cr(csrWithUsages(t, key, ds|ke, []x509.ExtKeyUsage{server, client}, false, false), false,
			"signing", "key encipherment"), []string{"spec.request"}},
		{"Test csr with any, signing, digital signature, key encipherment, server and client auth",
			cr(csrWithUsages(t, key, ds|ke|cs, []x509.ExtKeyUsage{anyEKU, client, server}, false, false), true,
				"any", "signing", "key encipherment", "client auth", "server auth"), nil},
		{"CertificateRequest with single Approved=true condition, shouldn't error", withConds(approvedC(meta.ConditionTrue)), nil},
		{"CertificateRequest with single Denied=true condition, shouldn't error", withConds(deniedC(meta.ConditionTrue)), nil},
		{"CertificateRequest with single Approved=false condition, should error", withConds(approvedC(meta.ConditionFalse)), []string{"status.conditions.Approved"}},
		{"CertificateRequest with single Denied=false condition, should error", withConds(deniedC(meta.ConditionFalse)), []string{"status.conditions.Denied"}},
		{"CertificateRequest with both Denied=false and Approved=false conditions, should error", withConds(approvedC(meta.ConditionFalse), deniedC(meta.ConditionFalse)),
			[]string{"status.conditions.Approved", "status.conditions.Denied", "status.conditions"}},
		{"CertificateRequest with both Denied=true and Approved=true conditions, should error", withConds(approvedC(meta.ConditionTrue), deniedC(meta.ConditionTrue)),
			[]string{"status.conditions"}},
		{"CertificateRequest with multiple Approved conditions, should error", withConds(approvedC(meta.ConditionTrue), approvedC(meta.ConditionFalse)),
			[]string{"status.conditions"}},
		{"CertificateRequest with multiple Denied conditions, should error", withConds(deniedC(meta.ConditionTrue), deniedC(meta.ConditionFalse)),
			[]string{"status.conditions"}},

		// certflow's own rows.
		{"certflow: no request", cr(nil, false), []string{"spec.request"}},
		{"certflow: no issuer name", &CertificateRequest{Spec: Spec{Request: csrWithUsages(t, key, 0, nil, true, false)}}, []string{"spec.issuerRef.name"}},
		{"certflow: unknown usage", cr(csrWithUsages(t, key, 0, nil, true, false), false, "serverAuth"), []string{"spec.usages"}},
		{"certflow: external issuer group", &CertificateRequest{Spec: Spec{Request: csrWithUsages(t, key, 0, nil, true, false),
			IssuerRef: meta.IssuerRef{Name: "x", Kind: "AWSPCAClusterIssuer", Group: "awspca.cert-manager.io"}}}, []string{"spec.issuerRef.group"}},
		{"certflow: bad issuer kind", &CertificateRequest{Spec: Spec{Request: csrWithUsages(t, key, 0, nil, true, false),
			IssuerRef: meta.IssuerRef{Name: "x", Kind: "Foo"}}}, []string{"spec.issuerRef.kind"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.cr)
			if tt.fields == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalid)
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			var got []string
			for _, p := range ve.Problems {
				got = append(got, p.Field)
			}
			assert.Equal(t, tt.fields, got, err.Error())
		})
	}
}

// FuzzValidate feeds arbitrary CSR bytes and usages to Validate: it must
// answer, never panic.
func FuzzValidate(f *testing.F) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(f, err)
	good, err := pki.CreateCSR(key, pki.CSRTemplate{DNSNames: []string{"a.example.com"}})
	require.NoError(f, err)
	f.Add(good, "server auth", false)
	f.Add([]byte("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"), "", true)
	f.Fuzz(func(t *testing.T, csr []byte, usage string, isCA bool) {
		r := &CertificateRequest{Spec: Spec{Request: csr, IssuerRef: meta.IssuerRef{Name: "x"}, IsCA: isCA}}
		if usage != "" {
			r.Spec.Usages = []string{usage}
		}
		if err := Validate(r); err != nil {
			assert.ErrorIs(t, err, ErrInvalid)
		}
	})
}
