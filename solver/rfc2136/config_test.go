package rfc2136

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/solver"
)

const testSecret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I="

func TestAlgorithm(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "", want: dns.HmacSHA256},
		{in: "HMACSHA1", want: dns.HmacSHA1},
		{in: "HMACSHA256", want: dns.HmacSHA256},
		{in: "HMACSHA512", want: dns.HmacSHA512},
		// cert-manager's webhook matches its names case-insensitively and
		// accepts only HMACMD5/SHA1/SHA256/SHA512 (issuer.go supportedTSIGAlgorithms, v1.21.1).
		{in: "HmAcShA512", want: dns.HmacSHA512},
		{in: "HMACSHA224", wantErr: true},
		{in: "HMACSHA384", wantErr: true},
		{in: dns.HmacSHA384, wantErr: true},
		{in: dns.HmacSHA512, want: dns.HmacSHA512},
		{in: "hmac-sha256", want: dns.HmacSHA256},
		{in: "HMACMD5", wantErr: true},
		{in: dns.HmacMD5, wantErr: true},
		{in: "sha256", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := algorithm(tt.in)
			if tt.wantErr {
				require.ErrorIs(t, err, ErrUnsupportedAlgorithm)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	_, err := algorithm("HMACMD5")
	assert.Contains(t, err.Error(), "MD5 is broken")
}

func TestNew_ValidatesAndCanonicalises(t *testing.T) {
	s, err := New(Config{Nameserver: "127.0.0.1", TSIGKeyName: "ACME-Key", TSIGSecret: testSecret, Zone: "Example.TEST"})
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:53", s.cfg.Nameserver)
	assert.Equal(t, "acme-key.", s.cfg.TSIGKeyName)
	assert.Equal(t, "example.test.", s.cfg.Zone)
	assert.Equal(t, dns.HmacSHA256, s.cfg.TSIGAlgorithm)
	assert.Equal(t, "udp", s.cfg.Protocol)
	assert.Equal(t, uint32(DefaultTTL), s.cfg.TTL)

	bad := []struct {
		name string
		cfg  Config
		want error
	}{
		{name: "no nameserver", cfg: Config{}, want: ErrInvalidConfig},
		{name: "md5", cfg: Config{Nameserver: "a:53", TSIGKeyName: "k", TSIGSecret: testSecret, TSIGAlgorithm: "HMACMD5"}, want: ErrUnsupportedAlgorithm},
		{name: "key without secret", cfg: Config{Nameserver: "a:53", TSIGKeyName: "k"}, want: ErrInvalidConfig},
		{name: "secret without key", cfg: Config{Nameserver: "a:53", TSIGSecret: testSecret}, want: ErrInvalidConfig},
		{name: "secret not base64", cfg: Config{Nameserver: "a:53", TSIGKeyName: "k", TSIGSecret: "not base64 !!"}, want: ErrInvalidConfig},
		{name: "protocol", cfg: Config{Nameserver: "a:53", Protocol: "tls"}, want: ErrInvalidConfig},
		{name: "zone", cfg: Config{Nameserver: "a:53", Zone: "a..b"}, want: ErrInvalidConfig},
		// cert-manager's nameserver rules (validation/util/nameserver.go, v1.21.1).
		{name: "unenclosed IPv6", cfg: Config{Nameserver: "2001:db8::1"}, want: ErrInvalidConfig},
		{name: "empty IPv6", cfg: Config{Nameserver: "[]:53"}, want: ErrInvalidConfig},
		{name: "no host", cfg: Config{Nameserver: ":53"}, want: ErrInvalidConfig},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			require.ErrorIs(t, err, tt.want)
			if tt.cfg.TSIGSecret != "" {
				assert.NotContains(t, err.Error(), string(tt.cfg.TSIGSecret))
			}
		})
	}
}

func TestSecret_NeverPrinted(t *testing.T) {
	cfg := Config{Nameserver: "a:53", TSIGKeyName: "k", TSIGSecret: testSecret}
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		assert.NotContains(t, fmt.Sprintf(f, cfg), testSecret, f)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name    string
		rcode   int
		tsigErr uint16 // 0xffff: no TSIG record
		client  error
		want    error
	}{
		{name: "success", rcode: dns.RcodeSuccess, tsigErr: 0},
		{name: "success unsigned", rcode: dns.RcodeSuccess, tsigErr: 0xffff},
		{name: "success, reply signature bad", rcode: dns.RcodeSuccess, tsigErr: 0, client: dns.ErrSig, want: ErrUpdateFailed},
		{name: "BADKEY", rcode: dns.RcodeNotAuth, tsigErr: dns.RcodeBadKey, client: dns.ErrAuth, want: ErrBadKey},
		{name: "BADSIG", rcode: dns.RcodeNotAuth, tsigErr: dns.RcodeBadSig, client: dns.ErrAuth, want: ErrBadSignature},
		{name: "BADTIME", rcode: dns.RcodeNotAuth, tsigErr: dns.RcodeBadTime, want: ErrBadTime},
		{name: "zone not served", rcode: dns.RcodeNotAuth, tsigErr: 0, client: dns.ErrAuth, want: ErrNotAuth},
		{name: "refused", rcode: dns.RcodeRefused, tsigErr: 0xffff, want: ErrRefused},
		{name: "notzone", rcode: dns.RcodeNotZone, tsigErr: 0, want: ErrNotZone},
		{name: "servfail", rcode: dns.RcodeServerFailure, tsigErr: 0, want: ErrUpdateFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := new(dns.Msg)
			m.Rcode = tt.rcode
			if tt.tsigErr != 0xffff {
				m.SetTsig("k.", dns.HmacSHA256, 300, 0)
				m.IsTsig().Error = tt.tsigErr
			}
			got, tsigErr := classify(m, tt.client)
			if tt.want == nil {
				assert.NoError(t, got)
				return
			}
			assert.ErrorIs(t, got, tt.want)
			if tt.tsigErr != 0xffff {
				assert.Equal(t, tt.tsigErr, tsigErr)
			}
		})
	}
}

type fakeSecrets map[string][]byte

func (f fakeSecrets) SecretValue(_ context.Context, ns string, ref solver.SecretKeySelector) ([]byte, error) {
	if v, ok := f[ns+"/"+ref.Name+"/"+ref.Key]; ok {
		return v, nil
	}
	return nil, errors.New("secret not found")
}

func TestProvider_NewSolverReadsTheSecret(t *testing.T) {
	secrets := fakeSecrets{"ns/tsig/key": []byte(testSecret + "\n")}
	cfg := solver.DNS01Config{RFC2136: &solver.RFC2136Config{
		Nameserver: "127.0.0.1:53", TSIGKeyName: "acme-key", TSIGAlgorithm: "HMACSHA512",
		TSIGSecretSecretRef: solver.SecretKeySelector{Name: "tsig", Key: "key"},
	}}
	s, err := Provider{}.NewSolver(context.Background(), cfg, "ns", secrets)
	require.NoError(t, err)
	rs := s.(*Solver)
	assert.Equal(t, Secret(testSecret), rs.cfg.TSIGSecret, "trailing newline trimmed")
	assert.Equal(t, dns.HmacSHA512, rs.cfg.TSIGAlgorithm)

	_, err = Provider{}.NewSolver(context.Background(), cfg, "other", secrets)
	require.ErrorContains(t, err, "secret not found")

	s, err = Provider{}.NewSolver(context.Background(), solver.DNS01Config{}, "ns", secrets)
	require.ErrorIs(t, err, ErrInvalidConfig)
	assert.Nil(t, s, "no typed nil inside the interface")

	cfg.RFC2136.TSIGAlgorithm = "HMACMD5"
	_, err = Provider{}.NewSolver(context.Background(), cfg, "ns", secrets)
	require.ErrorIs(t, err, ErrUnsupportedAlgorithm)
}

// Ported from cert-manager v1.21.1
// internal/apis/certmanager/validation/util/nameserver_test.go and the
// rfc2136 rows of issuer_test.go TestValidateACMEIssuerDNS01Config: the
// accepted nameserver forms and their host:port.
func TestNew_NameserverForms(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1":          "127.0.0.1:53",
		"127.0.0.1:5353":     "127.0.0.1:5353",
		"[2001:db8::1]":      "[2001:db8::1]:53",
		"[2001:db8::1]:5353": "[2001:db8::1]:5353",
		"dns.example.com":    "dns.example.com:53",
		"dns":                "dns:53",
		"dns.example.com:":   "dns.example.com:53",
	} {
		s, err := New(Config{Nameserver: in})
		require.NoError(t, err, in)
		assert.Equal(t, want, s.cfg.Nameserver, in)
	}
}

// A TSIG secret reference without a key name would send unsigned updates;
// cert-manager's webhook refuses it (issuer_test.go
// TestValidateACMEIssuerDNS01Config "rfc2136 provider TSIGSecret provided
// but no TSIGKeyName", v1.21.1), and so does the provider.
func TestProvider_SecretRefWithoutKeyNameRefused(t *testing.T) {
	secrets := fakeSecrets{"ns/tsig/key": []byte(testSecret)}
	for name, rc := range map[string]solver.RFC2136Config{
		"secret without key name":          {Nameserver: "127.0.0.1", TSIGSecretSecretRef: solver.SecretKeySelector{Name: "tsig", Key: "key"}},
		"key name, secret ref without key": {Nameserver: "127.0.0.1", TSIGKeyName: "k", TSIGSecretSecretRef: solver.SecretKeySelector{Name: "tsig"}},
		"unenclosed IPv6 nameserver":       {Nameserver: "2001:db8::1"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Provider{}.NewSolver(context.Background(), solver.DNS01Config{RFC2136: &rc}, "ns", secrets)
			require.ErrorIs(t, err, ErrInvalidConfig)
		})
	}
}
