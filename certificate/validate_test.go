package certificate

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

func validationBaseCert() *Certificate {
	return &Certificate{
		ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "wildcard-example-com"},
		Spec: Spec{
			SecretName: "wildcard-example-com",
			IssuerRef:  meta.IssuerRef{Name: "letsencrypt", Kind: meta.KindClusterIssuer},
			DNSNames:   []string{"*.example.com", "example.com"},
		},
	}
}

func validationDur(d time.Duration) *meta.Duration { return &meta.Duration{Duration: d} }

func validationI32(v int32) *int32 { return &v }

func TestValidateAcceptsValidCertificates(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *Certificate)
	}{
		{"seed wildcard", func(*Certificate) {}},
		{"common name only", func(c *Certificate) { c.Spec.DNSNames = nil; c.Spec.CommonName = "example.com" }},
		{"ip only", func(c *Certificate) { c.Spec.DNSNames = nil; c.Spec.IPAddresses = []string{"192.0.2.1", "2001:db8::1"} }},
		{"uri only", func(c *Certificate) {
			c.Spec.DNSNames = nil
			c.Spec.URIs = []string{"spiffe://example.org/ns/default/sa/x"}
		}},
		{"email only", func(c *Certificate) { c.Spec.DNSNames = nil; c.Spec.EmailAddresses = []string{"ops@example.com"} }},
		{"upper case and single label", func(c *Certificate) { c.Spec.DNSNames = []string{"WWW.Example.COM", "localhost"} }},
		{"punycode", func(c *Certificate) { c.Spec.DNSNames = []string{"xn--bcher-kva.example"} }},
		{"issuer kind empty means Issuer", func(c *Certificate) { c.Spec.IssuerRef = meta.IssuerRef{Name: "ca"} }},
		{"issuer group cert-manager.io", func(c *Certificate) { c.Spec.IssuerRef.Group = "cert-manager.io" }},
		{"no namespace", func(c *Certificate) { c.ObjectMeta.Namespace = "" }},
		{"seed durations", func(c *Certificate) {
			c.Spec.Duration = validationDur(2160 * time.Hour)
			c.Spec.RenewBefore = validationDur(360 * time.Hour)
		}},
		{"minimum duration and renewBefore", func(c *Certificate) {
			c.Spec.Duration = validationDur(time.Hour)
			c.Spec.RenewBefore = validationDur(5 * time.Minute)
		}},
		{"renewBefore against default duration", func(c *Certificate) { c.Spec.RenewBefore = validationDur(2159 * time.Hour) }},
		{"percentage", func(c *Certificate) { c.Spec.RenewBeforePercentage = validationI32(33) }},
		{"percentage 1 and 99", func(c *Certificate) {
			c.Spec.RenewBeforePercentage = validationI32(99)
			c.Spec.Duration = validationDur(24 * time.Hour)
		}},
		{"rsa default", func(c *Certificate) { c.Spec.PrivateKey = &PrivateKey{} }},
		{"rsa 8192 pkcs8 never", func(c *Certificate) {
			c.Spec.PrivateKey = &PrivateKey{Algorithm: RSA, Size: 8192, Encoding: PKCS8, RotationPolicy: RotationNever}
		}},
		{"ecdsa 521", func(c *Certificate) { c.Spec.PrivateKey = &PrivateKey{Algorithm: ECDSA, Size: 521} }},
		{"ecdsa default size", func(c *Certificate) { c.Spec.PrivateKey = &PrivateKey{Algorithm: ECDSA} }},
		{"ed25519 ignores size", func(c *Certificate) { c.Spec.PrivateKey = &PrivateKey{Algorithm: Ed25519, Size: 123, Encoding: PKCS8} }},
		{"usages", func(c *Certificate) {
			c.Spec.Usages = []KeyUsage{UsageServerAuth, UsageClientAuth, UsageDigitalSignature}
		}},
		{"history limit 1", func(c *Certificate) { c.Spec.RevisionHistoryLimit = validationI32(1) }},
		{"common name 64 bytes", func(c *Certificate) { c.Spec.CommonName = strings.Repeat("a", 64) }},
		{"name 253 chars", func(c *Certificate) { c.Spec.DNSNames = []string{validationLongName(253)} }},
		{"label 63 chars", func(c *Certificate) { c.Spec.DNSNames = []string{strings.Repeat("a", 63) + ".com"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validationBaseCert()
			tt.mutate(c)
			require.NoError(t, Validate(c))
		})
	}
}

func TestValidateRejectsEachProblem(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(c *Certificate)
		field   string
		problem string
	}{
		{"no identifier", func(c *Certificate) { c.Spec.DNSNames = nil }, "spec", "at least one of"},
		{"empty dns name", func(c *Certificate) { c.Spec.DNSNames = []string{""} }, "spec.dnsNames[0]", "must not be empty"},
		{"empty label", func(c *Certificate) { c.Spec.DNSNames = []string{"a..example.com"} }, "spec.dnsNames[0]", "empty label"},
		{"leading dot", func(c *Certificate) { c.Spec.DNSNames = []string{".example.com"} }, "spec.dnsNames[0]", "empty label"},
		{"trailing dot", func(c *Certificate) { c.Spec.DNSNames = []string{"example.com."} }, "spec.dnsNames[0]", "end with a dot"},
		{"name too long", func(c *Certificate) { c.Spec.DNSNames = []string{validationLongName(254)} }, "spec.dnsNames[0]", "at most 253"},
		{"label too long", func(c *Certificate) { c.Spec.DNSNames = []string{strings.Repeat("a", 64) + ".com"} }, "spec.dnsNames[0]", "at most 63"},
		{"underscore", func(c *Certificate) { c.Spec.DNSNames = []string{"a_b.example.com"} }, "spec.dnsNames[0]", "invalid character '_'"},
		{"space", func(c *Certificate) { c.Spec.DNSNames = []string{"a b.example.com"} }, "spec.dnsNames[0]", "invalid character"},
		{"leading hyphen", func(c *Certificate) { c.Spec.DNSNames = []string{"-a.example.com"} }, "spec.dnsNames[0]", "'-'"},
		{"unicode", func(c *Certificate) { c.Spec.DNSNames = []string{"bücher.example"} }, "spec.dnsNames[0]", "punycode"},
		{"partial wildcard suffix", func(c *Certificate) { c.Spec.DNSNames = []string{"a*.b.com"} }, "spec.dnsNames[0]", "whole leftmost label"},
		{"partial wildcard prefix", func(c *Certificate) { c.Spec.DNSNames = []string{"*a.b.com"} }, "spec.dnsNames[0]", "whole leftmost label"},
		{"double wildcard", func(c *Certificate) { c.Spec.DNSNames = []string{"example.com", "*.*.example.com"} }, "spec.dnsNames[1]", "whole leftmost label"},
		{"inner wildcard", func(c *Certificate) { c.Spec.DNSNames = []string{"a.*.example.com"} }, "spec.dnsNames[0]", "whole leftmost label"},
		{"lone wildcard", func(c *Certificate) { c.Spec.DNSNames = []string{"*"} }, "spec.dnsNames[0]", "lone wildcard"},
		{"ip in dnsNames", func(c *Certificate) { c.Spec.DNSNames = []string{"192.0.2.1"} }, "spec.dnsNames[0]", "ipAddresses"},
		{"bad ip", func(c *Certificate) { c.Spec.IPAddresses = []string{"192.0.2.300"} }, "spec.ipAddresses[0]", "not an IPv4 or IPv6"},
		{"ip with zone", func(c *Certificate) { c.Spec.IPAddresses = []string{"fe80::1%eth0"} }, "spec.ipAddresses[0]", "zones"},
		{"ip hostname", func(c *Certificate) { c.Spec.IPAddresses = []string{"example.com"} }, "spec.ipAddresses[0]", "not an IPv4"},
		{"uri unparsable", func(c *Certificate) { c.Spec.URIs = []string{"http://[::1"} }, "spec.uris[0]", "does not parse"},
		{"uri relative", func(c *Certificate) { c.Spec.URIs = []string{"/ns/default"} }, "spec.uris[0]", "absolute"},
		{"uri empty", func(c *Certificate) { c.Spec.URIs = []string{""} }, "spec.uris[0]", "must not be empty"},
		{"email no at", func(c *Certificate) { c.Spec.EmailAddresses = []string{"ops.example.com"} }, "spec.emailAddresses[0]", "bare email"},
		{"email display name", func(c *Certificate) { c.Spec.EmailAddresses = []string{"Ops <ops@example.com>"} }, "spec.emailAddresses[0]", "bare email"},
		{"secretName missing", func(c *Certificate) { c.Spec.SecretName = "" }, "spec.secretName", "is required"},
		{"secretName invalid", func(c *Certificate) { c.Spec.SecretName = "../etc/passwd" }, "spec.secretName", "DNS-1123 subdomain"},
		{"secretName upper case", func(c *Certificate) { c.Spec.SecretName = "TLS" }, "spec.secretName", "DNS-1123 subdomain"},
		{"name missing", func(c *Certificate) { c.ObjectMeta.Name = "" }, "metadata.name", "is required"},
		{"name invalid", func(c *Certificate) { c.ObjectMeta.Name = "a/b" }, "metadata.name", "DNS-1123 subdomain"},
		{"namespace invalid", func(c *Certificate) { c.ObjectMeta.Namespace = "a.b" }, "metadata.namespace", "DNS-1123 label"},
		{"issuerRef name missing", func(c *Certificate) { c.Spec.IssuerRef.Name = "" }, "spec.issuerRef.name", "is required"},
		{"issuerRef kind", func(c *Certificate) { c.Spec.IssuerRef.Kind = "AWSPCAClusterIssuer" }, "spec.issuerRef.kind", "Issuer or ClusterIssuer"},
		{"issuerRef group", func(c *Certificate) { c.Spec.IssuerRef.Group = "awspca.cert-manager.io" }, "spec.issuerRef.group", "cert-manager.io or empty"},
		{"duration too short", func(c *Certificate) { c.Spec.Duration = validationDur(59 * time.Minute) }, "spec.duration", "at least 1h"},
		{"renewBefore equals duration", func(c *Certificate) {
			c.Spec.Duration = validationDur(24 * time.Hour)
			c.Spec.RenewBefore = validationDur(24 * time.Hour)
		}, "spec.renewBefore", "shorter than the duration"},
		{"renewBefore beyond default duration", func(c *Certificate) { c.Spec.RenewBefore = validationDur(2160 * time.Hour) }, "spec.renewBefore", "shorter than the duration (2160h0m0s)"},
		{"renewBefore too short", func(c *Certificate) { c.Spec.RenewBefore = validationDur(4 * time.Minute) }, "spec.renewBefore", "at least 5m"},
		{"percentage 0", func(c *Certificate) { c.Spec.RenewBeforePercentage = validationI32(0) }, "spec.renewBeforePercentage", "exclusive"},
		{"percentage 100", func(c *Certificate) { c.Spec.RenewBeforePercentage = validationI32(100) }, "spec.renewBeforePercentage", "exclusive"},
		{"percentage negative", func(c *Certificate) { c.Spec.RenewBeforePercentage = validationI32(-5) }, "spec.renewBeforePercentage", "exclusive"},
		{"percentage gives under 5m", func(c *Certificate) {
			c.Spec.Duration = validationDur(time.Hour)
			c.Spec.RenewBeforePercentage = validationI32(5)
		}, "spec.renewBeforePercentage", "renewBefore of 3m0s"},
		{"rsa 1024", func(c *Certificate) { c.Spec.PrivateKey = &PrivateKey{Algorithm: RSA, Size: 1024} }, "spec.privateKey.size", "RSA keys"},
		{"rsa implied 256", func(c *Certificate) { c.Spec.PrivateKey = &PrivateKey{Size: 256} }, "spec.privateKey.size", "RSA keys"},
		{"ecdsa 2048", func(c *Certificate) { c.Spec.PrivateKey = &PrivateKey{Algorithm: ECDSA, Size: 2048} }, "spec.privateKey.size", "ECDSA keys"},
		{"unknown algorithm", func(c *Certificate) { c.Spec.PrivateKey = &PrivateKey{Algorithm: "DSA"} }, "spec.privateKey.algorithm", "RSA, ECDSA or Ed25519"},
		{"lower-case algorithm", func(c *Certificate) { c.Spec.PrivateKey = &PrivateKey{Algorithm: "rsa"} }, "spec.privateKey.algorithm", "RSA, ECDSA or Ed25519"},
		{"unknown encoding", func(c *Certificate) { c.Spec.PrivateKey = &PrivateKey{Encoding: "DER"} }, "spec.privateKey.encoding", "PKCS1 or PKCS8"},
		{"unknown rotation", func(c *Certificate) { c.Spec.PrivateKey = &PrivateKey{RotationPolicy: "Sometimes"} }, "spec.privateKey.rotationPolicy", "Always or Never"},
		{"ed25519 pkcs1", func(c *Certificate) { c.Spec.PrivateKey = &PrivateKey{Algorithm: Ed25519, Encoding: PKCS1} }, "spec.privateKey.encoding", "only be encoded as PKCS8"},
		{"unknown usage", func(c *Certificate) { c.Spec.Usages = []KeyUsage{UsageServerAuth, "serverAuth"} }, "spec.usages[1]", "not a key usage"},
		{"history limit 0", func(c *Certificate) { c.Spec.RevisionHistoryLimit = validationI32(0) }, "spec.revisionHistoryLimit", "at least 1"},
		{"common name 65 bytes", func(c *Certificate) { c.Spec.CommonName = strings.Repeat("a", 65) }, "spec.commonName", "at most 64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validationBaseCert()
			tt.mutate(c)
			err := Validate(c)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalid)
			var ve ValidationErrors
			require.ErrorAs(t, err, &ve)
			require.Len(t, ve, 1, "exactly one problem expected, got: %v", err)
			assert.Equal(t, tt.field, ve[0].Field)
			assert.Contains(t, ve[0].Problem, tt.problem)
			assert.Contains(t, err.Error(), tt.field+": ")
		})
	}
}

func TestValidateListsEveryProblem(t *testing.T) {
	c := &Certificate{
		ObjectMeta: meta.ObjectMeta{Name: "x"},
		Spec: Spec{
			DNSNames:   []string{"ok.example.com", "*.*.example.com", "a_b.example.com"},
			IssuerRef:  meta.IssuerRef{Kind: "Foo"},
			PrivateKey: &PrivateKey{Algorithm: ECDSA, Size: 2048},
		},
	}
	err := Validate(c)
	require.ErrorIs(t, err, ErrInvalid)
	var ve ValidationErrors
	require.ErrorAs(t, err, &ve)
	var fields []string
	for _, e := range ve {
		fields = append(fields, e.Field)
	}
	assert.Equal(t, []string{
		"spec.dnsNames[1]", "spec.dnsNames[2]", "spec.secretName",
		"spec.issuerRef.name", "spec.issuerRef.kind", "spec.privateKey.size",
	}, fields)
	assert.Contains(t, err.Error(), `spec.dnsNames[1]: "*.*.example.com": wildcard must be the whole leftmost label only`)
	assert.True(t, strings.HasPrefix(err.Error(), "certificate: invalid: "))

	var one *ValidationError
	require.ErrorAs(t, err, &one, "errors.As reaches the individual items")
	assert.Equal(t, "spec.dnsNames[1]", one.Field)
	assert.ErrorIs(t, one, ErrInvalid)
	assert.False(t, errors.Is(err, errors.New("certificate: invalid")), "matches the sentinel, not its text")
}

func TestValidateNil(t *testing.T) {
	require.ErrorIs(t, Validate(nil), ErrInvalid)
}

// validationLongName returns a valid DNS name of exactly n (251..313) characters.
func validationLongName(n int) string {
	return strings.Repeat(strings.Repeat("a", 49)+".", 5) + strings.Repeat("b", n-250)
}
