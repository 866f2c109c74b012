package solver_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/solver"
)

// Ported from cert-manager v1.21.1,
// internal/apis/certmanager/validation/util/nameserver_test.go
// (TestValidNameserver): every row, inputs and expected results.
func TestValidNameserver(t *testing.T) {
	tests := []struct {
		name, nameserver, want string
		wantErr                bool
	}{
		{"IPv4 with no port should return port 53", "8.8.8.8", "8.8.8.8:53", false},
		{"IPv4 with : but no port number should return port 53", "8.8.8.8:", "8.8.8.8:53", false},
		{"IPv4 with port number should return the same", "8.8.8.8:5353", "8.8.8.8:5353", false},
		{"IPv6 with no port should return port 53", "[2001:db8::1]", "[2001:db8::1]:53", false},
		{"IPv6 with : but no port number should return port 53", "[2001:db8::1]:", "[2001:db8::1]:53", false},
		{"IPv6 with port number should return the same", "[2001:db8::1]:5353", "[2001:db8::1]:5353", false},
		{"DNS name with no port should return port 53", "nameserver.com", "nameserver.com:53", false},
		{"DNS name with : but no port number should return port 53", "nameserver.com:", "nameserver.com:53", false},
		{"DNS name with port number should return the same", "nameserver.com:5353", "nameserver.com:5353", false},
		{"Non unenclosed IPv6 should error", "2001:db8::1:5353", "", true},
		{"Port only should error", ":53", "", true},
		{"Empty nameserver should error", "", "", true},
		// Deviation: cert-manager accepts these ("00]0:53", " 0:53"); they
		// cannot be dialled.
		{"certflow: stray bracket in host", "[00]0", "", true},
		{"certflow: space in host", "[ 0]", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := solver.ValidNameserver(tt.nameserver)
			if tt.wantErr {
				require.ErrorIs(t, err, solver.ErrNameserver)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestCanonicalTSIGAlgorithm(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "", want: "HMACSHA256"},
		{in: "HMACSHA1", want: "HMACSHA1"},
		{in: "hmacsha256", want: "HMACSHA256"},
		{in: "HmAcShA512", want: "HMACSHA512"},
		// Deviation: cert-manager accepts HMACMD5 ("HmAcMd5" row of
		// TestValidateACMEIssuerDNS01Config); certflow refuses MD5.
		{in: "HmAcMd5", wantErr: true},
		{in: "HAMMOCK", wantErr: true},
		{in: "HMACSHA224", wantErr: true},
		{in: "HMACSHA384", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := solver.CanonicalTSIGAlgorithm(tt.in)
			if tt.wantErr {
				require.ErrorIs(t, err, solver.ErrTSIGAlgorithm)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// Rows ported from cert-manager v1.21.1,
// internal/apis/certmanager/validation/issuer_test.go
// (TestValidateACMEIssuerDNS01Config): the route53, rfc2136, "missing
// provider config" and "multiple providers configured" rows; the expected
// result is the list of offending fields. Rows for providers certflow does
// not have (cloudDNS, cloudflare, azureDNS, akamai, acmeDNS, digitalocean)
// are not ported. Rows marked "certflow:" are certflow's own.
func TestValidateDNS01(t *testing.T) {
	ref := &solver.SecretKeySelector{Name: "name", Key: "key"}
	ns := func(r solver.RFC2136Config) solver.DNS01Config { return solver.DNS01Config{RFC2136: &r} }
	r53 := func(r solver.Route53Config) solver.DNS01Config { return solver.DNS01Config{Route53: &r} }
	tests := []struct {
		name   string
		cfg    solver.DNS01Config
		fields []string
	}{
		{"empty route53 field should be valid because ambient credentials and region may be used instead", r53(solver.Route53Config{}), nil},
		{"both route53 accessKeyID and accessKeyIDSecretRef specified",
			r53(solver.Route53Config{Region: "valid", AccessKeyID: "valid", AccessKeyIDSecretRef: ref, SecretAccessKeySecretRef: ref}),
			[]string{"route53"}},
		{"route53 accessKeyIDSecretRef missing name",
			r53(solver.Route53Config{Region: "valid", AccessKeyIDSecretRef: &solver.SecretKeySelector{Key: "key"}, SecretAccessKeySecretRef: ref}),
			[]string{"route53.accessKeyIDSecretRef.name"}},
		{"route53 accessKeyIDSecretRef missing key",
			r53(solver.Route53Config{Region: "valid", AccessKeyIDSecretRef: &solver.SecretKeySelector{Name: "name"}, SecretAccessKeySecretRef: ref}),
			[]string{"route53.accessKeyIDSecretRef.key"}},
		// certflow: what cert-manager's route53 provider refuses at its
		// first Present ("only one of access and secret key was provided")
		// is refused here.
		{"certflow: route53 accessKeyID without secret", r53(solver.Route53Config{AccessKeyID: "AKIA"}), []string{"route53.secretAccessKeySecretRef"}},
		{"certflow: route53 accessKeyIDSecretRef without secret", r53(solver.Route53Config{AccessKeyIDSecretRef: ref}), []string{"route53.secretAccessKeySecretRef"}},
		{"certflow: route53 secret without key ID", r53(solver.Route53Config{SecretAccessKeySecretRef: ref}), []string{"route53.accessKeyID"}},
		{"certflow: route53 secret ref without key", r53(solver.Route53Config{AccessKeyID: "AKIA", SecretAccessKeySecretRef: &solver.SecretKeySelector{Name: "aws"}}),
			[]string{"route53.secretAccessKeySecretRef.key"}},
		{"certflow: route53 static keys and role", r53(solver.Route53Config{AccessKeyID: "AKIA", SecretAccessKeySecretRef: ref, Role: "arn:aws:iam::1:role/dns"}), nil},
		{"certflow: route53 role with ambient credentials", r53(solver.Route53Config{Role: "arn:aws:iam::1:role/dns"}), nil},
		{"missing provider config", solver.DNS01Config{}, []string{""}},
		{"rfc2136 provider with missing nameserver", ns(solver.RFC2136Config{}), []string{"rfc2136.nameserver"}},
		{"rfc2136 provider with IPv4 nameserver", ns(solver.RFC2136Config{Nameserver: "127.0.0.1"}), nil},
		{"rfc2136 provider with unenclosed IPv6 nameserver", ns(solver.RFC2136Config{Nameserver: "2001:db8::1"}), []string{"rfc2136.nameserver"}},
		{"rfc2136 provider with empty IPv6 nameserver", ns(solver.RFC2136Config{Nameserver: "[]:53"}), []string{"rfc2136.nameserver"}},
		{"rfc2136 provider with IPv6 nameserver", ns(solver.RFC2136Config{Nameserver: "[2001:db8::1]"}), nil},
		{"rfc2136 provider with FQDN nameserver", ns(solver.RFC2136Config{Nameserver: "dns.example.com"}), nil},
		{"rfc2136 provider with hostname nameserver", ns(solver.RFC2136Config{Nameserver: "dns"}), nil},
		{"rfc2136 provider with nameserver without host", ns(solver.RFC2136Config{Nameserver: ":53"}), []string{"rfc2136.nameserver"}},
		// Deviation: cert-manager accepts HMACMD5 in any case; certflow refuses MD5.
		{"rfc2136 provider using case-camel in algorithm (deviation: MD5 refused)", ns(solver.RFC2136Config{Nameserver: "127.0.0.1", TSIGAlgorithm: "HmAcMd5"}), []string{"rfc2136.tsigAlgorithm"}},
		{"certflow: rfc2136 provider using case-camel in algorithm (SHA512)", ns(solver.RFC2136Config{Nameserver: "127.0.0.1", TSIGAlgorithm: "HmAcShA512"}), nil},
		{"rfc2136 provider using unsupported algorithm", ns(solver.RFC2136Config{Nameserver: "127.0.0.1", TSIGAlgorithm: "HAMMOCK"}), []string{"rfc2136.tsigAlgorithm"}},
		{"rfc2136 provider TSIGKeyName provided but no TSIGSecret", ns(solver.RFC2136Config{Nameserver: "127.0.0.1", TSIGKeyName: "some-name"}),
			[]string{"rfc2136.tsigSecretSecretRef.name", "rfc2136.tsigSecretSecretRef.key"}},
		{"rfc2136 provider TSIGSecret provided but no TSIGKeyName", ns(solver.RFC2136Config{Nameserver: "127.0.0.1", TSIGSecretSecretRef: *ref}),
			[]string{"rfc2136.tsigKeyName"}},
		{"multiple providers configured", solver.DNS01Config{RFC2136: &solver.RFC2136Config{Nameserver: "ns"}, Route53: &solver.Route53Config{}}, []string{""}},
		{"certflow: webhook without solverName", solver.DNS01Config{Webhook: &solver.WebhookConfig{}}, []string{"webhook.solverName"}},
		{"certflow: bad cnameStrategy", solver.DNS01Config{CNAMEStrategy: "Always", Route53: &solver.Route53Config{}}, []string{"cnameStrategy"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range solver.ValidateDNS01(tt.cfg) {
				got = append(got, p.Field)
			}
			assert.Equal(t, tt.fields, got)
		})
	}
}

// FuzzValidNameserver: any input gets an answer, and an accepted one is
// host:port that is accepted again unchanged.
func FuzzValidNameserver(f *testing.F) {
	for _, s := range []string{"8.8.8.8", "[2001:db8::1]:53", "ns.example.com:", ":53", "2001:db8::1", "[]:53"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := solver.ValidNameserver(s)
		if err != nil {
			return
		}
		again, err := solver.ValidNameserver(got)
		require.NoError(t, err)
		assert.Equal(t, got, again)
	})
}
