package certificate

import (
	"crypto/x509"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
)

// TestPrivateKeyMatchesSpec_CertManager ports TestPrivateKeyMatchesSpec from
// cert-manager v1.21.1, pkg/util/pki/match_test.go (6 rows, all agree).
func TestPrivateKeyMatchesSpec_CertManager(t *testing.T) {
	rows := map[string]struct {
		key        any
		alg        KeyAlgorithm
		size       int
		violations []string
	}{
		"should match if keySize and algorithm are correct (RSA)": {key: testKey(t, "rsa-2048", "RSA", 2048), alg: RSA, size: 2048},
		"should not match if RSA keySize is incorrect": {key: testKey(t, "rsa-2048", "RSA", 2048), alg: RSA, size: 4096,
			violations: []string{"spec.privateKey.size"}},
		"should match if keySize and algorithm are correct (ECDSA)": {key: testKey(t, "ec-256", "ECDSA", 256), alg: ECDSA, size: 256},
		"should not match if ECDSA keySize is incorrect": {key: testKey(t, "ec-256", "ECDSA", 256), alg: ECDSA, size: 521,
			violations: []string{"spec.privateKey.size"}},
		"should not match if keyAlgorithm is incorrect": {key: testKey(t, "ec-256", "ECDSA", 256), alg: RSA, size: 2048,
			violations: []string{"spec.privateKey.algorithm"}},
		"should match if keySize and algorithm are correct (Ed25519)": {key: testKey(t, "ed25519", "Ed25519", 0), alg: Ed25519},
	}
	for name, tt := range rows {
		t.Run(name, func(t *testing.T) {
			got := privateKeyMatchesSpec(tt.key, &Spec{PrivateKey: &PrivateKey{Algorithm: tt.alg, Size: tt.size}})
			assert.Equal(t, tt.violations, got)
		})
	}
}

// TestFuzzyX509AltNamesMatchSpec_CertManager ports
// TestFuzzyX509AltNamesMatchSpec from cert-manager v1.21.1,
// pkg/util/pki/match_test.go (13 rows, all agree), plus certflow rows for
// its deliberate deviation (DNS names compared without case).
func TestFuzzyX509AltNamesMatchSpec_CertManager(t *testing.T) {
	key := testKey(t, "ec-256", "ECDSA", 256)
	leaf := func(l leafTemplate) *x509.Certificate { return selfSigned(t, key, l) }
	rows := map[string]struct {
		leaf       *x509.Certificate
		spec       Spec
		violations []string
	}{
		"should match if common name and dns names exactly equal": {
			spec: Spec{CommonName: "cn", DNSNames: []string{"at", "least", "one"}},
			leaf: leaf(leafTemplate{cn: "cn", dns: []string{"at", "least", "one"}})},
		"should match if commonName is missing but is present in dnsNames": {
			spec: Spec{CommonName: "cn", DNSNames: []string{"at", "least", "one"}},
			leaf: leaf(leafTemplate{dns: []string{"cn", "at", "least", "one"}})},
		"should match if commonName is missing but is present in dnsNames (not first)": {
			spec: Spec{CommonName: "cn", DNSNames: []string{"at", "least", "one"}},
			leaf: leaf(leafTemplate{dns: []string{"at", "least", "one", "cn"}})},
		"should match if commonName is one of the requested dnsNames": {
			spec: Spec{DNSNames: []string{"at", "least", "one"}},
			leaf: leaf(leafTemplate{cn: "at", dns: []string{"least", "one"}})},
		"should not match if commonName is not present on certificate": {
			spec:       Spec{CommonName: "cn", DNSNames: []string{"at", "least", "one"}},
			leaf:       leaf(leafTemplate{dns: []string{"at", "least", "one"}}),
			violations: []string{"spec.commonName"}},
		"should report violation for both commonName and dnsNames if both are missing": {
			spec:       Spec{CommonName: "cn", DNSNames: []string{"at", "least", "one", "other"}},
			leaf:       leaf(leafTemplate{dns: []string{"at", "least", "one"}}),
			violations: []string{"spec.commonName", "spec.dnsNames"}},
		"should report violation for both commonName and dnsNames if not requested": {
			spec:       Spec{DNSNames: []string{"at", "least", "one"}},
			leaf:       leaf(leafTemplate{cn: "cn", dns: []string{"at", "least", "one", "other"}}),
			violations: []string{"spec.commonName", "spec.dnsNames"}},
		"should not match if certificate has more dnsNames than spec": {
			spec:       Spec{CommonName: "cn", DNSNames: []string{"at", "least", "one"}},
			leaf:       leaf(leafTemplate{cn: "cn", dns: []string{"at", "least", "one", "other"}}),
			violations: []string{"spec.dnsNames"}},
		"should match if commonName is a duplicated dnsName (but not requested)": {
			spec: Spec{DNSNames: []string{"at", "least", "one"}},
			leaf: leaf(leafTemplate{cn: "at", dns: []string{"at", "least", "one"}})},
		"should match if commonName is a duplicated dnsName": {
			spec: Spec{CommonName: "cn", DNSNames: []string{"at", "least", "one"}},
			leaf: leaf(leafTemplate{cn: "at", dns: []string{"at", "least", "one", "cn"}})},
		"should match if ipAddresses are equal": {
			spec: Spec{IPAddresses: []string{"127.0.0.1"}},
			leaf: leaf(leafTemplate{ips: []string{"127.0.0.1"}})},
		"should not match if ipAddresses are not equal": {
			spec:       Spec{IPAddresses: []string{"127.0.0.1"}},
			leaf:       leaf(leafTemplate{ips: []string{"127.0.2.1"}}),
			violations: []string{"spec.ipAddresses"}},
		"should not match if ipAddresses has been made the commonName": {
			spec:       Spec{IPAddresses: []string{"127.0.0.1"}},
			leaf:       leaf(leafTemplate{cn: "127.0.0.1", ips: []string{"127.0.0.1"}}),
			violations: []string{"spec.commonName"}},

		// certflow deviation (not in cert-manager): DNS is case-insensitive,
		// so re-cased names match; cert-manager would report spec.dnsNames.
		"certflow: re-cased and reordered dnsNames match": {
			spec: Spec{CommonName: "WWW.Example.test", DNSNames: []string{"b.example.test", "WWW.example.test"}},
			leaf: leaf(leafTemplate{dns: []string{"www.example.test", "B.EXAMPLE.TEST"}})},
		// certflow: the Pebble / Let's Encrypt tlsserver profile drops the CN.
		"certflow: a CA dropping a commonName listed in dnsNames matches": {
			spec: Spec{CommonName: "a.example.test", DNSNames: []string{"a.example.test", "b.example.test"}},
			leaf: leaf(leafTemplate{dns: []string{"b.example.test", "a.example.test"}})},
	}
	for name, tt := range rows {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, tt.violations, fuzzyAltNamesMatchSpec(tt.leaf, &tt.spec))
		})
	}
}

// TestRequestMatchesSpecIssuerRef_CertManager ports
// TestRequestMatchesSpecIssuerRef from cert-manager v1.21.1,
// pkg/util/pki/match_test.go (8 rows, all agree).
func TestRequestMatchesSpecIssuerRef_CertManager(t *testing.T) {
	key := testKey(t, "ec-256", "ECDSA", 256)
	build := func(ref meta.IssuerRef) *request.CertificateRequest {
		spec := Spec{CommonName: "dummy-common-name", IssuerRef: ref}
		return &request.CertificateRequest{Spec: request.Spec{Request: csrFor(t, key, &spec), IssuerRef: ref}}
	}
	full := meta.IssuerRef{Name: "test-issuer", Kind: "Issuer", Group: "cert-manager.io"}
	rows := map[string]struct {
		req        *request.CertificateRequest
		ref        meta.IssuerRef
		violations []string
	}{
		"should not report any violation if Certificate issuerRef matches the CertificateRequest's": {req: build(full), ref: full},
		"should not report any violation if both Certificate and CertificateRequest issuerRef Kind and Group are empty": {
			req: build(meta.IssuerRef{Name: "test-issuer"}), ref: meta.IssuerRef{Name: "test-issuer"}},
		"should not report any violation if Certificate issuerRef Kind and Group are defaulted and CertificateRequest issuerRef Group is empty": {
			req: build(meta.IssuerRef{Name: "test-issuer", Kind: "Issuer"}), ref: full},
		"should not report any violation if Certificate issuerRef Kind and Group are defaulted and CertificateRequest issuerRef Kind is empty": {
			req: build(meta.IssuerRef{Name: "test-issuer", Group: "cert-manager.io"}), ref: full},
		"should report violation if Certificate issuerRef name mismatches the CertificateRequest's": {
			req: build(full), ref: meta.IssuerRef{Name: "different-issuer", Kind: "Issuer", Group: "cert-manager.io"},
			violations: []string{"spec.issuerRef"}},
		"should not report any violation if Certificate issuerRef Kind and Group are defaulted and CertificateRequest's are empty": {
			req: build(meta.IssuerRef{Name: "test-issuer"}), ref: full},
		"should report violation if Certificate issuerRef Kind mismatches the CertificateRequest's (defaulted vs non-defaulted)": {
			req: build(meta.IssuerRef{Name: "test-issuer", Kind: "ClusterIssuer", Group: "cert-manager.io"}), ref: full,
			violations: []string{"spec.issuerRef"}},
		"should report violation if Certificate issuerRef Group mismatches the CertificateRequest's (defaulted vs non-defaulted)": {
			req: build(meta.IssuerRef{Name: "test-issuer", Kind: "Issuer", Group: "different-group.io"}), ref: full,
			violations: []string{"spec.issuerRef"}},
	}
	for name, tt := range rows {
		t.Run(name, func(t *testing.T) {
			got, err := requestMatchesSpec(tt.req, &Spec{CommonName: "dummy-common-name", IssuerRef: tt.ref}, nil)
			require.NoError(t, err)
			assert.Equal(t, tt.violations, got)
		})
	}
}

// TestRequestMatchesSpec_OrderAndCaseInsensitive: reordering or re-casing
// dnsNames (and reordering every other list) is not a spec change, so it
// never re-issues. cert-manager compares lists unordered but byte for byte;
// certflow also ignores the case of DNS names (deliberate deviation).
func TestRequestMatchesSpec_OrderAndCaseInsensitive(t *testing.T) {
	key := testKey(t, "ec-256", "ECDSA", 256)
	orig := Spec{CommonName: "a.example.test", DNSNames: []string{"a.example.test", "b.example.test", "c.example.test"},
		IPAddresses: []string{"10.0.0.1", "::1"}, Usages: []KeyUsage{UsageServerAuth, UsageDigitalSignature},
		Subject: &Subject{Organizations: []string{"B", "A"}}}
	req := &request.CertificateRequest{Spec: request.Spec{Request: csrFor(t, key, &orig), Usages: usageStrings(orig.Usages)}}
	changed := orig
	changed.CommonName = "A.EXAMPLE.test"
	changed.DNSNames = []string{"C.example.test", "a.EXAMPLE.test", "b.example.test."}
	changed.IPAddresses = []string{"::1", "10.0.0.1"}
	changed.Usages = []KeyUsage{UsageDigitalSignature, UsageServerAuth}
	changed.Subject = &Subject{Organizations: []string{"A", "B"}}
	got, err := requestMatchesSpec(req, &changed, nil)
	require.NoError(t, err)
	assert.Empty(t, got)
	assert.Equal(t, SpecHash(&orig), SpecHash(&changed), "the spec hash ignores order and case too")

	changed.DNSNames = append(changed.DNSNames, "d.example.test")
	got, err = requestMatchesSpec(req, &changed, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"spec.dnsNames"}, got, "a new name is a change")
	assert.NotEqual(t, SpecHash(&orig), SpecHash(&changed))
}
